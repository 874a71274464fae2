/*
 * libFuzzer target: whole attribute templates, decoded from the input,
 * through C_CreateObject, C_FindObjectsInit / C_FindObjects,
 * C_GetAttributeValue, C_SetAttributeValue, C_CopyObject and
 * C_DestroyObject, on sessions the input opens, closes and mixes up.
 *
 * The input is a small program (tests/fuzz/template.h): each step names a
 * call, a session, an object and a template. Types lean towards the ones the
 * module knows (fz_types: the schemas of module/write.c and the vendor types
 * of include/trustfolder.h); values can be of the wrong length, NULL with a
 * length, CK_UNAVAILABLE_INFORMATION long, over the 16 MB limit, copied from
 * an object the program made (so that issuer, serial and hashes can match),
 * and templates can be NULL, or over or at the 4096-attribute limit.
 *
 * Every value the module reads lies in a buffer of exactly its length (ASan
 * sees a byte read past it), large values in a read-only mapping (a write
 * into a template faults), and every code returned must be one PKCS#11 2.40
 * allows. The tokens are emptied after each input. Seeds: the calls NSS,
 * p11-kit, gcr, GnuTLS and pkcs11-tool make (tests/fuzz/seeds.c).
 */
#include "fuzz.h"
#include "template.h"

#include "attrs.h"

#include <stdint.h>
#include <sys/mman.h>

#define MAX_SESSIONS 10
#define MAX_HANDLES  64
#define MAX_OPS	     64
#define MAX_ALLOCS   8192

static char store[600];

/* The limit plus 1 MB of zeros, read-only: V_HUGE values point here. */
static unsigned char *zeros;
static size_t zeros_len;

/* Values of CK_ULONG attributes the module gives a meaning to, and others. */
static const CK_ULONG ulongs[] = {
	CKO_CERTIFICATE,
	TF_CKO_NSS_TRUST,
	TF_CKO_TRUST,
	TF_CKO_X_TRUST_ASSERTION,
	TF_CKO_X_CERTIFICATE_EXTENSION,
	TF_CKO_PROFILE,
	TF_CKO_NSS_BUILTIN_ROOT_LIST,
	TF_CKO_NSS_CRL,
	CKO_DATA,
	CKO_PUBLIC_KEY,
	CKO_PRIVATE_KEY,
	CKO_SECRET_KEY,
	CKC_X_509,
	CKC_X_509_ATTR_CERT,
	CKC_WTLS,
	TF_CKT_NSS_TRUSTED,
	TF_CKT_NSS_TRUSTED_DELEGATOR,
	TF_CKT_NSS_MUST_VERIFY_TRUST,
	TF_CKT_NSS_VALID,
	TF_CKT_NSS_TRUST_UNKNOWN,
	TF_CKT_NSS_NOT_TRUSTED,
	TF_CKT_NSS_VALID_DELEGATOR,
	0,
	1,
	2,
	3,
	4,
	5,
	CKM_SHA_1,
	CKM_SHA256,
	CKM_MD5,
	0x7fffffffUL,
	(CK_ULONG)-1,
	(CK_ULONG)INT64_MAX,
	(CK_ULONG)INT64_MAX + 1,
	2000000000UL,
	4102444800UL,
};

#define NULONGS (sizeof (ulongs) / sizeof (ulongs[0]))

/* Strings p11-kit, gcr and the trustfolder tool send, and a few they should not. */
#define S(x) { x, sizeof (x) - 1 }
static const struct {
	const char *s;
	size_t len;
} strings[] = {
	S ("1.3.6.1.5.5.7.3.1"),
	S ("1.3.6.1.5.5.7.3.2"),
	S ("1.3.6.1.5.5.7.3.3"),
	S ("1.3.6.1.5.5.7.3.4"),
	S ("1.3.6.1.5.5.7.3.8"),
	S ("1.3.6.1.5.5.7.3.1\0"),
	S ("www.example.test"),
	S ("www.example.test:443"),
	S ("LOCALHOST"),
	S ("[::1]:8443"),
	S ("*.example.test"),
	S ("a.test,b.test"),
	S (","),
	S ("bad host!"),
	S ("Trust Folder"),
	S ("nick\0name"),
	S ("trustfolder accept"),
	S ("\xff\xfe\x80 not UTF-8"),
	S (""),
};
#undef S

#define NSTRINGS (sizeof (strings) / sizeof (strings[0]))

typedef struct {
	const uint8_t *p;
	size_t n;
	CK_SESSION_HANDLE sessions[MAX_SESSIONS];
	size_t nsessions;
	CK_OBJECT_HANDLE handles[MAX_HANDLES];
	size_t nhandles, next_handle;
	void *allocs[MAX_ALLOCS];
	size_t nallocs;
} state;

typedef struct {
	CK_ATTRIBUTE *a;
	CK_ULONG n;
} tmpl;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
	fz_setup ("template");
	snprintf (store, sizeof (store), "%s/trustfolder.db", fz_dir);
	if (fz_initialize (store) != CKR_OK)
		fz_fail ("C_Initialize failed");
	zeros_len = TF_ATTRS_MAX_VALUE + 1024 * 1024;
	zeros = mmap (NULL, zeros_len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (zeros == MAP_FAILED)
		fz_fail ("cannot map %zu bytes", zeros_len);
	return 0;
}

/* ---- reading the input ------------------------------------------------------ */

static uint8_t
next (state *st)
{
	if (st->n == 0)
		return 0;
	st->n--;
	return *st->p++;
}

static uint64_t
next_be (state *st, int bytes)
{
	uint64_t v = 0;

	while (bytes-- > 0)
		v = (v << 8) | next (st);
	return v;
}

/* Memory that lives until the end of the step; exactly len bytes (ASan's bounds). */
static void *
step_alloc (state *st, size_t len)
{
	void *p;

	if (st->nallocs == MAX_ALLOCS)
		fz_fail ("a step allocated more than %d buffers", MAX_ALLOCS);
	p = malloc (len ? len : 1);
	if (p == NULL)
		fz_fail ("out of memory for %zu bytes", len);
	st->allocs[st->nallocs++] = p;
	return p;
}

static void
step_free (state *st)
{
	while (st->nallocs > 0)
		free (st->allocs[--st->nallocs]);
}

/* Up to len input bytes, copied into a buffer of exactly their number. */
static void
take_bytes (state *st, size_t len, CK_ATTRIBUTE *a)
{
	if (len > st->n)
		len = st->n;
	a->pValue = step_alloc (st, len);
	if (len > 0)
		memcpy (a->pValue, st->p, len);
	a->ulValueLen = len;
	st->p += len;
	st->n -= len;
}

static void
set_value (state *st, CK_ATTRIBUTE *a, const void *value, size_t len)
{
	a->pValue = step_alloc (st, len);
	if (len > 0)
		memcpy (a->pValue, value, len);
	a->ulValueLen = len;
}

static void
add_handle (state *st, CK_OBJECT_HANDLE h)
{
	size_t i;

	for (i = 0; i < st->nhandles; i++) {
		if (st->handles[i] == h)
			return;
	}
	if (st->nhandles < MAX_HANDLES) {
		st->handles[st->nhandles++] = h;
		return;
	}
	st->handles[st->next_handle] = h;
	st->next_handle = (st->next_handle + 1) % MAX_HANDLES;
}

static CK_SESSION_HANDLE
pick_session (state *st)
{
	uint8_t b = next (st);

	if (b < SEL_SPECIAL)
		return st->nsessions > 0 ? st->sessions[b % st->nsessions] : 0;
	if (b == SEL_SPECIAL)
		return 0;
	return 0xdead0000UL + b;
}

static CK_OBJECT_HANDLE
known_handle (state *st, uint8_t b)
{
	return st->nhandles > 0 ? st->handles[b % st->nhandles] : 0;
}

static CK_OBJECT_HANDLE
pick_handle (state *st)
{
	uint8_t b = next (st);

	switch (b) {
	case H_ZERO:
		return 0;
	case H_ONES:
		return (CK_OBJECT_HANDLE)-1;
	case H_FLIP_VIEW:
		return known_handle (st, next (st)) ^ 1;
	case H_NEXT_RECORD:
		return known_handle (st, next (st)) + 0x100;
	case H_RAW8:
		return (CK_OBJECT_HANDLE)next_be (st, 8);
	default:
		return known_handle (st, b);
	}
}

static CK_ATTRIBUTE_TYPE
pick_type (state *st)
{
	uint8_t b = next (st);

	if (b == TYPE_RAW4)
		return (CK_ATTRIBUTE_TYPE)next_be (st, 4);
	if (b == TYPE_FLIP)
		return fz_types[next (st) % FZ_NTYPES].type ^ 1;
	return fz_types[b % FZ_NTYPES].type;
}

/* The value an object has for type, read through the module; empty when none. */
static void
value_from (state *st, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
	    CK_ATTRIBUTE *a)
{
	CK_ATTRIBUTE q = { type, NULL, 0 };

	a->pValue = step_alloc (st, 0);
	a->ulValueLen = 0;
	if (fz_check (SPEC_C_GetAttributeValue, fz->C_GetAttributeValue (s, h, &q, 1)) != CKR_OK ||
	    q.ulValueLen > 1024 * 1024)
		return;
	q.pValue = step_alloc (st, q.ulValueLen);
	if (fz_check (SPEC_C_GetAttributeValue, fz->C_GetAttributeValue (s, h, &q, 1)) != CKR_OK)
		return;
	*a = q;
}

static void
pick_value (state *st, CK_SESSION_HANDLE s, CK_ATTRIBUTE *a)
{
	CK_ULONG ul;
	CK_OBJECT_HANDLE h;
	uint8_t b;

	switch (next (st) % V_COUNT) {
	case V_NATURAL:
		switch (fz_kind_of (a->type)) {
		case FZ_ULONG:
			b = next (st);
			ul = b == V_ULONG_RAW ? (CK_ULONG)next_be (st, 8) : ulongs[b % NULONGS];
			set_value (st, a, &ul, sizeof (ul));
			break;
		case FZ_BOOL:
			take_bytes (st, 1, a);
			break;
		case FZ_DATE:
			take_bytes (st, sizeof (CK_DATE), a);
			break;
		default:
			take_bytes (st, next_be (st, 2) & 0x1fff, a);
			break;
		}
		break;
	case V_RAW:
		take_bytes (st, next_be (st, 2) & 0x1fff, a);
		break;
	case V_FROM:
		h = pick_handle (st);
		b = next (st);
		value_from (st, s, h, b == 0 ? a->type : fz_types[b % FZ_NTYPES].type, a);
		break;
	case V_STRING:
		b = next (st) % NSTRINGS;
		set_value (st, a, strings[b].s, strings[b].len);
		break;
	case V_NULL_LEN:
		a->pValue = NULL;
		a->ulValueLen = 1 + next (st);
		break;
	case V_UNAVAIL:
		a->pValue = NULL;
		a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		break;
	case V_HUGE:
		a->pValue = zeros;
		a->ulValueLen = TF_ATTRS_MAX_VALUE + (CK_ULONG)next (st) * 4096;
		break;
	default:
		a->pValue = step_alloc (st, 0);
		a->ulValueLen = 0;
		break;
	}
}

static void
pick_attribute (state *st, CK_SESSION_HANDLE s, CK_ATTRIBUTE *a)
{
	a->type = pick_type (st);
	pick_value (st, s, a);
}

static tmpl
pick_template (state *st, CK_SESSION_HANDLE s)
{
	tmpl t = { NULL, 0 };
	uint8_t c = next (st);
	CK_ULONG i;

	switch (c) {
	case T_NULL_EMPTY:
		return t;
	case T_NULL_COUNT:
		t.n = 1 + next (st);
		return t;
	case T_NULL_HUGE:
		t.n = (CK_ULONG)-1;
		return t;
	case T_OVER_LIMIT:
	case T_AT_LIMIT:
		t.n = c == T_AT_LIMIT ? TF_ATTRS_MAX_COUNT
				      : TF_ATTRS_MAX_COUNT + 1 + 16 * (CK_ULONG)next (st);
		t.a = step_alloc (st, t.n * sizeof (CK_ATTRIBUTE));
		pick_attribute (st, s, &t.a[0]);
		for (i = 1; i < t.n; i++)
			t.a[i] = t.a[0];
		return t;
	default:
		t.n = c % 32;
		t.a = step_alloc (st, t.n * sizeof (CK_ATTRIBUTE));
		for (i = 0; i < t.n; i++)
			pick_attribute (st, s, &t.a[i]);
		return t;
	}
}

/* ---- the calls ------------------------------------------------------------- */

static void
op_create (state *st)
{
	CK_SESSION_HANDLE s = pick_session (st);
	tmpl t = pick_template (st, s);
	CK_OBJECT_HANDLE h = 0;

	if (fz_check (SPEC_C_CreateObject, fz->C_CreateObject (s, t.a, t.n, &h)) != CKR_OK)
		return;
	if (h == CK_INVALID_HANDLE)
		fz_fail ("C_CreateObject returned CKR_OK and handle 0");
	add_handle (st, h);
}

static void
find_next (state *st, CK_SESSION_HANDLE s, CK_ULONG max)
{
	CK_OBJECT_HANDLE *found;
	CK_ULONG got, i;
	int rounds;

	found = step_alloc (st, (max ? max : 1) * sizeof (CK_OBJECT_HANDLE));
	for (rounds = 0; rounds < 32; rounds++) {
		got = (CK_ULONG)-1;
		if (fz_check (SPEC_C_FindObjects,
			      fz->C_FindObjects (s, max ? found : NULL, max, &got)) != CKR_OK)
			return;
		if (got > max)
			fz_fail ("C_FindObjects handed out %lu handles for room for %lu",
				 (unsigned long)got, (unsigned long)max);
		if (got == 0)
			return;
		for (i = 0; i < got; i++) {
			if (found[i] == CK_INVALID_HANDLE)
				fz_fail ("C_FindObjects handed out handle 0");
			add_handle (st, found[i]);
		}
	}
}

static void
op_find (state *st)
{
	CK_SESSION_HANDLE s = pick_session (st);
	tmpl t = pick_template (st, s);
	CK_ULONG max = next (st) % 17;
	uint8_t flags = next (st);

	if (fz_check (SPEC_C_FindObjectsInit, fz->C_FindObjectsInit (s, t.a, t.n)) != CKR_OK)
		return;
	find_next (st, s, max);
	if (!(flags & 1))
		fz_check (SPEC_C_FindObjectsFinal, fz->C_FindObjectsFinal (s));
}

/* C_GetAttributeValue with a template of buffers of every kind, and its rules checked. */
static void
op_get (state *st)
{
	CK_SESSION_HANDLE s = pick_session (st);
	CK_OBJECT_HANDLE h = pick_handle (st);
	CK_ATTRIBUTE *a = NULL, q;
	CK_ULONG *room = NULL, n = 0, i;
	bool any_unavailable = false;
	uint8_t c = next (st), mode;
	CK_RV rv;

	if (c == G_ALL || c == G_OVER_LIMIT) {
		/* p11-kit: every type at once, lengths first (or more than the limit). */
		n = c == G_ALL ? FZ_NTYPES : TF_ATTRS_MAX_COUNT + 1;
		a = step_alloc (st, n * sizeof (CK_ATTRIBUTE));
		room = step_alloc (st, n * sizeof (CK_ULONG));
		for (i = 0; i < n; i++) {
			a[i].type = fz_types[i % FZ_NTYPES].type;
			a[i].pValue = NULL;
			a[i].ulValueLen = 0;
			room[i] = 0;
		}
		rv = fz_check (SPEC_C_GetAttributeValue, fz->C_GetAttributeValue (s, h, a, n));
		if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID)
			return;
		for (i = 0; i < n; i++) {
			if (a[i].ulValueLen == CK_UNAVAILABLE_INFORMATION ||
			    a[i].ulValueLen > 1024 * 1024) {
				a[i].ulValueLen = 0;
				continue;
			}
			room[i] = a[i].ulValueLen;
			a[i].pValue = step_alloc (st, room[i]);
		}
	} else {
		n = c % 40;
		a = step_alloc (st, n * sizeof (CK_ATTRIBUTE));
		room = step_alloc (st, n * sizeof (CK_ULONG));
		for (i = 0; i < n; i++) {
			a[i].type = pick_type (st);
			a[i].pValue = NULL;
			a[i].ulValueLen = 0;
			room[i] = 0;
			mode = next (st) % B_COUNT;
			if (mode == B_QUERY) {
				a[i].ulValueLen = next (st);
				continue;
			}
			if (mode == B_SIZED || mode == B_ULONG) {
				room[i] = mode == B_SIZED ? next (st) : sizeof (CK_ULONG);
			} else {
				q.type = a[i].type;
				q.pValue = NULL;
				q.ulValueLen = 0;
				if (fz_check (SPEC_C_GetAttributeValue,
					      fz->C_GetAttributeValue (s, h, &q, 1)) != CKR_OK ||
				    q.ulValueLen > 1024 * 1024)
					continue;
				room[i] = q.ulValueLen;
				if (mode == B_SHORT && room[i] > 0)
					room[i]--;
			}
			a[i].pValue = step_alloc (st, room[i]);
			a[i].ulValueLen = mode == B_CLAIM_MAX ? CK_UNAVAILABLE_INFORMATION : room[i];
		}
	}

	rv = fz_check (SPEC_C_GetAttributeValue, fz->C_GetAttributeValue (s, h, a, n));
	if (rv == CKR_ARGUMENTS_BAD || rv == CKR_OBJECT_HANDLE_INVALID ||
	    rv == CKR_SESSION_HANDLE_INVALID)
		return;
	for (i = 0; i < n; i++) {
		if (a[i].ulValueLen == CK_UNAVAILABLE_INFORMATION) {
			any_unavailable = true;
			continue;
		}
		if (a[i].pValue != NULL && a[i].ulValueLen > room[i])
			fz_fail ("C_GetAttributeValue: attribute 0x%lx says it wrote %lu bytes "
				 "into %lu",
				 (unsigned long)a[i].type, (unsigned long)a[i].ulValueLen,
				 (unsigned long)room[i]);
	}
	if (rv == CKR_OK && any_unavailable)
		fz_fail ("C_GetAttributeValue: CKR_OK with an attribute unavailable");
	if ((rv == CKR_BUFFER_TOO_SMALL || rv == CKR_ATTRIBUTE_TYPE_INVALID) && !any_unavailable)
		fz_fail ("C_GetAttributeValue: rv 0x%lx, yet no attribute is unavailable",
			 (unsigned long)rv);
}

static void
op_set (state *st)
{
	CK_SESSION_HANDLE s = pick_session (st);
	CK_OBJECT_HANDLE h = pick_handle (st);
	tmpl t = pick_template (st, s);

	fz_check (SPEC_C_SetAttributeValue, fz->C_SetAttributeValue (s, h, t.a, t.n));
}

static void
op_destroy (state *st)
{
	CK_SESSION_HANDLE s = pick_session (st);
	CK_OBJECT_HANDLE h = pick_handle (st);
	CK_OBJECT_CLASS klass = 0;
	CK_ULONG kind = 0;
	CK_ATTRIBUTE a[] = {
		{ CKA_CLASS, &klass, sizeof (klass) },
		{ TF_CKA_X_ASSERTION_TYPE, &kind, sizeof (kind) },
	};
	CK_RV rv;

	if (fz_check (SPEC_C_DestroyObject, fz->C_DestroyObject (s, h)) != CKR_OK)
		return;
	/* Handles are never reused (DESIGN.md): a destroyed object's names nothing. */
	rv = fz_check (SPEC_C_GetAttributeValue, fz->C_GetAttributeValue (s, h, a, 2));
	if (rv == CKR_OBJECT_HANDLE_INVALID)
		return;
	fz_fail ("handle 0x%lx still names an object (class 0x%lx, assertion type %lu, rv 0x%lx) "
		 "after C_DestroyObject",
		 (unsigned long)h, (unsigned long)klass, (unsigned long)kind, (unsigned long)rv);
}

static void
op_copy (state *st)
{
	CK_SESSION_HANDLE s = pick_session (st);
	CK_OBJECT_HANDLE h = pick_handle (st), copy = 0;
	tmpl t = pick_template (st, s);

	if (fz_check (SPEC_C_CopyObject, fz->C_CopyObject (s, h, t.a, t.n, &copy)) != CKR_OK)
		return;
	if (copy == CK_INVALID_HANDLE)
		fz_fail ("C_CopyObject returned CKR_OK and handle 0");
	add_handle (st, copy);
}

static void
op_size (state *st)
{
	CK_SESSION_HANDLE s = pick_session (st);
	CK_OBJECT_HANDLE h = pick_handle (st);
	CK_ULONG size;

	fz_check (SPEC_C_GetObjectSize, fz->C_GetObjectSize (s, h, &size));
}

static CK_SLOT_ID
pick_slot (state *st)
{
	static const CK_SLOT_ID slots[] = { 0, TF_SLOT_PERSISTENT, TF_SLOT_SESSION, 99 };

	return slots[next (st) & 3];
}

static void
op_open (state *st)
{
	CK_SLOT_ID slot = pick_slot (st);
	uint8_t b = next (st);
	CK_FLAGS flags = 0;
	CK_SESSION_HANDLE s = 0;

	if (b & 1)
		flags |= CKF_SERIAL_SESSION;
	if (b & 2)
		flags |= CKF_RW_SESSION;
	if (b & 4)
		flags |= 0x80000000UL;
	if (st->nsessions == MAX_SESSIONS)
		return;
	if (fz_check (SPEC_C_OpenSession, fz->C_OpenSession (slot, flags, NULL, NULL, &s)) !=
	    CKR_OK)
		return;
	if (s == CK_INVALID_HANDLE)
		fz_fail ("C_OpenSession returned CKR_OK and handle 0");
	st->sessions[st->nsessions++] = s;
}

static void
op_login (state *st)
{
	static const CK_USER_TYPE users[] = { CKU_USER, CKU_SO, CKU_CONTEXT_SPECIFIC, 7 };
	CK_SESSION_HANDLE s = pick_session (st);

	fz_check (SPEC_C_Login, fz->C_Login (s, users[next (st) & 3], (CK_UTF8CHAR_PTR) "1234", 4));
}

static void
run_step (state *st, uint8_t op)
{
	CK_SESSION_HANDLE s;

	switch (op % OP_COUNT) {
	case OP_CREATE:
		op_create (st);
		break;
	case OP_FIND:
		op_find (st);
		break;
	case OP_GET:
		op_get (st);
		break;
	case OP_SET:
		op_set (st);
		break;
	case OP_DESTROY:
		op_destroy (st);
		break;
	case OP_COPY:
		op_copy (st);
		break;
	case OP_SIZE:
		op_size (st);
		break;
	case OP_OPEN:
		op_open (st);
		break;
	case OP_CLOSE:
		fz_check (SPEC_C_CloseSession, fz->C_CloseSession (pick_session (st)));
		break;
	case OP_CLOSE_ALL:
		fz_check (SPEC_C_CloseAllSessions, fz->C_CloseAllSessions (pick_slot (st)));
		break;
	case OP_LOGIN:
		op_login (st);
		break;
	case OP_LOGOUT:
		fz_check (SPEC_C_Logout, fz->C_Logout (pick_session (st)));
		break;
	case OP_FIND_NEXT:
		s = pick_session (st);
		find_next (st, s, next (st) % 17);
		break;
	default:
		fz_check (SPEC_C_FindObjectsFinal, fz->C_FindObjectsFinal (pick_session (st)));
		break;
	}
	step_free (st);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	static const CK_FLAGS rw = CKF_SERIAL_SESSION | CKF_RW_SESSION;
	static state st;
	int steps;

	memset (&st, 0, sizeof (st));
	st.p = data;
	st.n = size;
	/* Sessions 0, 1, 2: R/W on each token, and read-only on the persistent one. */
	if (fz_check (SPEC_C_OpenSession,
		      fz->C_OpenSession (TF_SLOT_PERSISTENT, rw, NULL, NULL, &st.sessions[0])) !=
		    CKR_OK ||
	    fz_check (SPEC_C_OpenSession,
		      fz->C_OpenSession (TF_SLOT_SESSION, rw, NULL, NULL, &st.sessions[1])) !=
		    CKR_OK ||
	    fz_check (SPEC_C_OpenSession,
		      fz->C_OpenSession (TF_SLOT_PERSISTENT, CKF_SERIAL_SESSION, NULL, NULL,
					 &st.sessions[2])) != CKR_OK)
		fz_fail ("cannot open sessions");
	st.nsessions = 3;

	for (steps = 0; steps < MAX_OPS && st.n > 0; steps++)
		run_step (&st, next (&st));

	fz_check (SPEC_C_CloseAllSessions, fz->C_CloseAllSessions (TF_SLOT_PERSISTENT));
	fz_check (SPEC_C_CloseAllSessions, fz->C_CloseAllSessions (TF_SLOT_SESSION));
	fz_scrub ();
	return 0;
}

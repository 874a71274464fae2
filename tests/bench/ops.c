/*
 * The operations the workloads repeat, each as its client issues it
 * (CONTRACT.md): the templates, the order of the calls, and the way
 * attributes are read (pre-sized buffers for NSS's trust read; a length
 * query, then the value, for certificates). Each checks its answer against
 * the data, so a fast wrong answer is reported as wrong, not as fast.
 * Everything is on the stack: the threads workload calls these concurrently.
 */
#include "bench.h"

#include "trustfolder.h"

#include <string.h>

#define VALUE_MAX 4096

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static CK_OBJECT_CLASS class_cert = CKO_CERTIFICATE, class_nss_trust = TF_CKO_NSS_TRUST;
static CK_CERTIFICATE_TYPE x509 = CKC_X_509;

/* The NSS purposes of each kind of decision, in server, client, code, e-mail order. */
static void
nss_purposes (uint8_t kind, CK_ULONG out[4])
{
	switch (kind) {
	case BENCH_KIND_ROOT: /* "C,," */
		out[0] = TF_CKT_NSS_TRUSTED_DELEGATOR;
		out[1] = TF_CKT_NSS_VALID_DELEGATOR;
		out[2] = out[3] = TF_CKT_NSS_MUST_VERIFY_TRUST;
		break;
	case BENCH_KIND_DISTRUSTED: /* "p,p,p" */
		out[0] = out[1] = out[2] = out[3] = TF_CKT_NSS_NOT_TRUSTED;
		break;
	default: /* "P,," */
		out[0] = TF_CKT_NSS_TRUSTED;
		out[1] = out[2] = out[3] = TF_CKT_NSS_MUST_VERIFY_TRUST;
		break;
	}
}

/*
 * The server-auth trust a module should answer for c. p11-kit-trust derives
 * its NSS trust from where the file lies: anchors are delegators, blocklisted
 * files distrusted, and any other certificate has no trust of its own.
 */
static bool
server_trust_right (const bench_module *m, const bench_cert *c, CK_ULONG got)
{
	CK_ULONG want[4];

	if (m->id == BENCH_P11KIT && c->h.kind == BENCH_KIND_LEAF)
		return got == TF_CKT_NSS_MUST_VERIFY_TRUST || got == TF_CKT_NSS_TRUST_UNKNOWN;
	nss_purposes (c->h.kind, want);
	return got == want[0];
}

/* FindObjectsInit, FindObjects until done (or max handles), FindObjectsFinal. */
static CK_RV
find (bench_module *m, CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG count,
      CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *found)
{
	CK_ULONG got;
	CK_RV rv, rv2;

	*found = 0;
	rv = m->f->C_FindObjectsInit (s, tmpl, count);
	if (rv != CKR_OK)
		return rv;
	do {
		rv = m->f->C_FindObjects (s, out + *found, max - *found, &got);
		if (rv != CKR_OK)
			break;
		*found += got;
	} while (got > 0 && *found < max);
	rv2 = m->f->C_FindObjectsFinal (s);
	return rv != CKR_OK ? rv : rv2;
}

/* One attribute as NSS reads a certificate's: its length first, then the value. */
static CK_RV
read_value (bench_module *m, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
	    unsigned char *buf, CK_ULONG *len)
{
	CK_ATTRIBUTE a = { type, NULL, 0 };
	CK_RV rv;

	rv = m->f->C_GetAttributeValue (s, h, &a, 1);
	if (rv != CKR_OK)
		return rv;
	if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen > VALUE_MAX)
		return CKR_GENERAL_ERROR;
	a.pValue = buf;
	rv = m->f->C_GetAttributeValue (s, h, &a, 1);
	*len = a.ulValueLen;
	return rv;
}

CK_RV
bench_trust_lookup (bench_module *m, CK_SESSION_HANDLE s, const bench_cert *c, bench_answer *a)
{
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_TOKEN, &yes, sizeof (yes) },
		{ CKA_CLASS, &class_nss_trust, sizeof (class_nss_trust) },
		{ CKA_ISSUER, BENCH_ISSUER (c), c->h.issuer_len },
		{ CKA_SERIAL_NUMBER, BENCH_SERIAL (c), c->h.serial_len },
	};
	CK_ULONG purposes[4], n;
	CK_BBOOL token = CK_FALSE, step_up = CK_FALSE;
	unsigned char sha1[20];
	CK_ATTRIBUTE read[] = {
		{ CKA_TOKEN, &token, sizeof (token) },
		{ TF_CKA_NSS_TRUST_SERVER_AUTH, &purposes[0], sizeof (CK_ULONG) },
		{ TF_CKA_NSS_TRUST_CLIENT_AUTH, &purposes[1], sizeof (CK_ULONG) },
		{ TF_CKA_NSS_TRUST_CODE_SIGNING, &purposes[2], sizeof (CK_ULONG) },
		{ TF_CKA_NSS_TRUST_EMAIL, &purposes[3], sizeof (CK_ULONG) },
		{ TF_CKA_NSS_TRUST_STEP_UP, &step_up, sizeof (step_up) },
		{ TF_CKA_CERT_SHA1_HASH, sha1, sizeof (sha1) },
	};
	CK_OBJECT_HANDLE h[2];
	CK_RV rv;

	a->found = 0;
	a->right = false;
	rv = find (m, s, tmpl, 4, h, 2, &n);
	a->found = n;
	if (rv != CKR_OK || n == 0)
		return rv;
	/* NSS reads the trust in one call with pre-sized buffers. */
	rv = m->f->C_GetAttributeValue (s, h[0], read, 7);
	if (rv != CKR_OK)
		return rv;
	a->right = n == 1 && read[6].ulValueLen == 20 && memcmp (sha1, c->h.sha1, 20) == 0 &&
		   server_trust_right (m, c, purposes[0]);
	return CKR_OK;
}

/* Certificates matching tmpl, reading CKA_VALUE of each; right when n match and one is c. */
static CK_RV
certs_with_values (bench_module *m, CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG count,
		   const bench_cert *c, CK_ULONG max, CK_ULONG expect, bench_answer *a)
{
	unsigned char value[VALUE_MAX];
	CK_OBJECT_HANDLE h[64];
	CK_ULONG n, i, len;
	bool seen = false;
	CK_RV rv;

	a->found = 0;
	a->right = false;
	rv = find (m, s, tmpl, count, h, max, &n);
	a->found = n;
	if (rv != CKR_OK)
		return rv;
	for (i = 0; i < n; i++) {
		rv = read_value (m, s, h[i], CKA_VALUE, value, &len);
		if (rv != CKR_OK)
			return rv;
		if (len == c->h.der_len && memcmp (value, c->der, len) == 0)
			seen = true;
	}
	a->right = seen && (expect == 0 || n == expect);
	return CKR_OK;
}

CK_RV
bench_cert_by_subject (bench_module *m, CK_SESSION_HANDLE s, const bench_cert *c, bench_answer *a)
{
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_TOKEN, &yes, sizeof (yes) },
		{ CKA_CLASS, &class_cert, sizeof (class_cert) },
		{ CKA_SUBJECT, BENCH_SUBJECT (c), c->h.subject_len },
	};

	return certs_with_values (m, s, tmpl, 3, c, 64, c->h.subject_count, a);
}

CK_RV
bench_cert_by_label (bench_module *m, CK_SESSION_HANDLE s, const bench_cert *c, bench_answer *a)
{
	/* certutil -L -n: the nickname without its NUL. */
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_TOKEN, &yes, sizeof (yes) },
		{ CKA_CLASS, &class_cert, sizeof (class_cert) },
		{ CKA_LABEL, (void *)c->label, c->h.label_len },
	};

	return certs_with_values (m, s, tmpl, 3, c, 64, c->h.subject_count, a);
}

CK_RV
bench_cert_by_id (bench_module *m, CK_SESSION_HANDLE s, const bench_cert *c, bench_answer *a)
{
	/* pkcs11-tool --read-object --type cert --id: class and id, the first match. */
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &class_cert, sizeof (class_cert) },
		{ CKA_ID, (void *)c->h.ckaid, sizeof (c->h.ckaid) },
	};
	CK_RV rv;

	if (c->h.id_count == 1)
		return certs_with_values (m, s, tmpl, 2, c, 1, 1, a);
	/* The roots of one name share a key: any of them is the right answer. */
	rv = certs_with_values (m, s, tmpl, 2, c, 1, 1, a);
	a->right = rv == CKR_OK && a->found == 1;
	return rv;
}

CK_RV
bench_enumerate (bench_module *m, CK_SESSION_HANDLE s, bench_answer *a)
{
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_TOKEN, &yes, sizeof (yes) },
		{ CKA_CLASS, &class_cert, sizeof (class_cert) },
	};
	unsigned char value[VALUE_MAX], label[256];
	CK_OBJECT_HANDLE h[512];
	CK_ATTRIBUTE read[2];
	CK_ULONG got, i;
	CK_RV rv, rv2;

	a->found = 0;
	a->right = false;
	rv = m->f->C_FindObjectsInit (s, tmpl, 2);
	if (rv != CKR_OK)
		return rv;
	/* As certutil -L: a batch of handles, then each object's value and label. */
	for (;;) {
		rv = m->f->C_FindObjects (s, h, 512, &got);
		if (rv != CKR_OK || got == 0)
			break;
		for (i = 0; i < got; i++) {
			read[0] = (CK_ATTRIBUTE){ CKA_VALUE, NULL, 0 };
			read[1] = (CK_ATTRIBUTE){ CKA_LABEL, NULL, 0 };
			rv = m->f->C_GetAttributeValue (s, h[i], read, 2);
			if (rv != CKR_OK)
				break;
			if (read[0].ulValueLen > sizeof (value) || read[1].ulValueLen > sizeof (label)) {
				rv = CKR_GENERAL_ERROR;
				break;
			}
			read[0].pValue = value;
			read[1].pValue = label;
			rv = m->f->C_GetAttributeValue (s, h[i], read, 2);
			if (rv != CKR_OK)
				break;
		}
		a->found += got;
		if (rv != CKR_OK)
			break;
	}
	rv2 = m->f->C_FindObjectsFinal (s);
	return rv != CKR_OK ? rv : rv2;
}

CK_RV
bench_create_nss_trust (bench_module *m, CK_SESSION_HANDLE s, const bench_cert *c)
{
	CK_ULONG p[4];
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_TOKEN, &yes, sizeof (yes) },
		{ CKA_CLASS, &class_nss_trust, sizeof (class_nss_trust) },
		{ CKA_ISSUER, BENCH_ISSUER (c), c->h.issuer_len },
		{ CKA_SERIAL_NUMBER, BENCH_SERIAL (c), c->h.serial_len },
		{ TF_CKA_CERT_SHA1_HASH, (void *)c->h.sha1, sizeof (c->h.sha1) },
		{ TF_CKA_CERT_MD5_HASH, (void *)c->h.md5, sizeof (c->h.md5) },
		{ TF_CKA_NSS_TRUST_SERVER_AUTH, &p[0], sizeof (CK_ULONG) },
		{ TF_CKA_NSS_TRUST_CLIENT_AUTH, &p[1], sizeof (CK_ULONG) },
		{ TF_CKA_NSS_TRUST_CODE_SIGNING, &p[2], sizeof (CK_ULONG) },
		{ TF_CKA_NSS_TRUST_EMAIL, &p[3], sizeof (CK_ULONG) },
		{ TF_CKA_NSS_TRUST_STEP_UP, &no, sizeof (no) },
	};
	CK_OBJECT_HANDLE h;

	nss_purposes (c->h.kind, p);
	return m->f->C_CreateObject (s, tmpl, 11, &h);
}

/* certutil's certificate template; token says CKA_TOKEN. */
static CK_RV
create_cert (bench_module *m, CK_SESSION_HANDLE s, const bench_cert *c, CK_BBOOL *token,
	     CK_OBJECT_HANDLE *h)
{
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_TOKEN, token, sizeof (*token) },
		{ CKA_CLASS, &class_cert, sizeof (class_cert) },
		{ CKA_CERTIFICATE_TYPE, &x509, sizeof (x509) },
		{ CKA_ID, (void *)c->h.ckaid, sizeof (c->h.ckaid) },
		{ CKA_LABEL, (void *)c->label, c->h.label_len },
		{ CKA_VALUE, c->der, c->h.der_len },
		{ CKA_ISSUER, BENCH_ISSUER (c), c->h.issuer_len },
		{ CKA_SUBJECT, BENCH_SUBJECT (c), c->h.subject_len },
		{ CKA_SERIAL_NUMBER, BENCH_SERIAL (c), c->h.serial_len },
	};

	return m->f->C_CreateObject (s, tmpl, 9, h);
}

CK_RV
bench_create_decision (bench_module *m, CK_SESSION_HANDLE s, const bench_cert *c)
{
	CK_BBOOL trusted = c->h.kind != BENCH_KIND_DISTRUSTED;
	CK_BBOOL distrusted = c->h.kind == BENCH_KIND_DISTRUSTED;
	/* `trust anchor --store`'s template (p11-kit's own dialect of a decision). */
	CK_ATTRIBUTE anchor[] = {
		{ CKA_CLASS, &class_cert, sizeof (class_cert) },
		{ CKA_CERTIFICATE_TYPE, &x509, sizeof (x509) },
		{ CKA_VALUE, c->der, c->h.der_len },
		{ CKA_TRUSTED, &trusted, sizeof (trusted) },
		{ TF_CKA_X_DISTRUSTED, &distrusted, sizeof (distrusted) },
		{ CKA_TOKEN, &yes, sizeof (yes) },
	};
	CK_OBJECT_HANDLE h;
	CK_RV rv;

	if (m->id == BENCH_P11KIT)
		return m->f->C_CreateObject (s, anchor, 6, &h);
	rv = create_cert (m, s, c, &yes, &h);
	if (rv != CKR_OK)
		return rv;
	return bench_create_nss_trust (m, s, c);
}

CK_RV
bench_session_object (bench_module *m, CK_SESSION_HANDLE s, const bench_cert *c)
{
	CK_OBJECT_HANDLE h;
	CK_RV rv;

	rv = create_cert (m, s, c, &no, &h);
	if (rv != CKR_OK)
		return rv;
	return m->f->C_DestroyObject (s, h);
}

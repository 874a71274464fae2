/*
 * The byte code of tests/fuzz/fuzz-template.c: how an input is read as a
 * sequence of PKCS#11 calls with their templates. tests/fuzz/seeds.c writes
 * seeds in it, so both include this one description.
 *
 * input    := op*
 * op       := OPCODE operands (OPCODE taken modulo OP_COUNT)
 *   OP_CREATE      session template
 *   OP_FIND        session template max flags   (flags bit 0: leave it active)
 *   OP_GET         session handle get-template
 *   OP_SET         session handle template
 *   OP_DESTROY     session handle
 *   OP_COPY        session handle template
 *   OP_SIZE        session handle
 *   OP_OPEN        slot flags                   (slot & 3: 0 none, 1, 2, 3 = 99)
 *   OP_CLOSE       session
 *   OP_CLOSE_ALL   slot
 *   OP_LOGIN       session user-type
 *   OP_LOGOUT      session
 *   OP_FIND_NEXT   session max
 *   OP_FIND_FINAL  session
 * session  := byte: below SEL_SPECIAL, one of the sessions opened so far
 *             (closed ones included) modulo their number; SEL_SPECIAL: 0;
 *             above: an invalid handle
 * handle   := byte: below SEL_SPECIAL, one of the handles seen so far
 *             modulo their number; else H_* below
 * template := count attribute*   (count below T_NULL_EMPTY: count % 32
 *             attributes follow; else a T_* form below)
 * attribute:= type mode value
 * type     := byte: below TYPE_RAW4, fz_types[byte % FZ_NTYPES]; TYPE_RAW4:
 *             4 bytes follow (big-endian); TYPE_FLIP: fz_types[next] ^ 1
 * mode     := byte % V_COUNT, then the value as V_* below says
 * get-template := count get-attribute*  (count % 40, or G_ALL: every known
 *             type, lengths and then values, as p11-kit reads)
 * get-attribute := type buffer-mode (byte % B_COUNT) [size]
 */
#ifndef TF_FUZZ_TEMPLATE_H
#define TF_FUZZ_TEMPLATE_H

enum {
	OP_CREATE,
	OP_FIND,
	OP_GET,
	OP_SET,
	OP_DESTROY,
	OP_COPY,
	OP_SIZE,
	OP_OPEN,
	OP_CLOSE,
	OP_CLOSE_ALL,
	OP_LOGIN,
	OP_LOGOUT,
	OP_FIND_NEXT,
	OP_FIND_FINAL,
	OP_COUNT,
};

/* Sessions and handles. */
#define SEL_SPECIAL 0xe0
enum {
	H_ZERO = SEL_SPECIAL, /* 0, never a valid handle */
	H_ONES,		      /* ~0 */
	H_FLIP_VIEW,	      /* a known handle ^ 1: same record, another view */
	H_NEXT_RECORD,	      /* a known handle + 0x100: the next record's same view */
	H_RAW8,		      /* 8 bytes follow, big-endian */
};

/* Template counts. */
enum {
	T_NULL_EMPTY = 0xf0, /* NULL pointer, count 0 */
	T_NULL_COUNT,	     /* NULL pointer, count 1 + next byte */
	T_OVER_LIMIT,	     /* 4097 + 16 * next byte copies of one attribute */
	T_AT_LIMIT,	     /* exactly 4096 copies of one attribute */
	T_NULL_HUGE,	     /* NULL pointer, count ~0 */
};

/* Attribute types. */
enum {
	TYPE_RAW4 = 0xf8,
	TYPE_FLIP,
};

/* Attribute values. */
enum {
	V_NATURAL,   /* by the type's kind: CK_ULONG (a known value by the next byte,
			or 8 raw bytes when it is V_ULONG_RAW), CK_BBOOL (1 byte),
			CK_DATE (8 bytes), bytes (2-byte length, then bytes) */
	V_RAW,	     /* 2-byte length, then bytes, whatever the type */
	V_FROM,	     /* handle, type byte (0: this attribute's type): the value
			that object has for it, read with C_GetAttributeValue */
	V_STRING,    /* one of the strings p11-kit and the tool send, by a byte */
	V_NULL_LEN,  /* NULL pointer with a length of 1 + next byte */
	V_UNAVAIL,   /* NULL pointer with length CK_UNAVAILABLE_INFORMATION */
	V_HUGE,	     /* the limit (16 MB) + next byte * 4 KB bytes, all zero */
	V_EMPTY,     /* a pointer, length 0 */
	V_COUNT,
};
#define V_ULONG_RAW 0xff

/* Get-template counts and buffers. */
#define G_ALL 0xf0
#define G_OVER_LIMIT 0xf1
enum {
	B_QUERY,     /* NULL pointer: the length is asked for */
	B_SIZED,     /* a buffer of next byte bytes */
	B_ULONG,     /* a buffer of sizeof (CK_ULONG) */
	B_EXACT,     /* a buffer of the exact length (asked for first) */
	B_SHORT,     /* a buffer one byte shorter than that */
	B_CLAIM_MAX, /* the exact buffer, claimed to be CK_UNAVAILABLE_INFORMATION long */
	B_COUNT,
};

#endif /* TF_FUZZ_TEMPLATE_H */

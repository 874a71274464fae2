/*
 * The benchmark's certificate cache (build/bench/data/certs-N.bin), written
 * by bench-gen and read by the runner. A host-endian binary file, private to
 * this machine's build directory:
 *
 *   bench_file_hdr
 *   stored + extras records: bench_rec_hdr, label (label_len bytes), DER
 *
 * The first `stored` records are the store's N certificates; the `extras`
 * after them are fresh ones that the write workloads add.
 */
#ifndef BENCH_DATA_H
#define BENCH_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_MAGIC  "TFBENCH3"
#define BENCH_EXTRAS 7000u

enum {
	BENCH_KIND_ROOT = 0,	   /* "C,,": a CA trusted for servers */
	BENCH_KIND_LEAF = 1,	   /* "P,,": a trusted server certificate */
	BENCH_KIND_DISTRUSTED = 2, /* "p,p,p": distrusted for every purpose */
};

typedef struct {
	char magic[8];
	uint32_t stored;
	uint32_t extras;
	uint32_t issuers;
	uint32_t pad;
	uint64_t tag; /* random: names this generation (caches built from it) */
	uint64_t der_bytes; /* of the stored certificates */
} bench_file_hdr;

typedef struct {
	uint32_t der_len;
	uint16_t serial_off, serial_len; /* the serial's DER INTEGER, within the DER */
	uint16_t issuer_off, issuer_len;
	uint16_t subject_off, subject_len;
	uint16_t subject_count; /* stored certificates with this subject (and label) */
	uint16_t id_count;	/* stored certificates with this CKA_ID */
	uint8_t sha1[20];
	uint8_t md5[16];
	uint8_t ckaid[20]; /* SHA-1 of the public key's bit string, as certutil's CKA_ID */
	uint8_t kind;
	uint8_t label_len;
	uint8_t pad[2];
} bench_rec_hdr;

/* One certificate as the runner keeps it. */
typedef struct {
	bench_rec_hdr h;
	unsigned index; /* in the file: < stored for the store's, else an extra */
	char label[256]; /* NUL-terminated; the attribute is label_len bytes */
	unsigned char *der;
} bench_cert;

#define BENCH_SERIAL(c)	 ((c)->der + (c)->h.serial_off)
#define BENCH_ISSUER(c)	 ((c)->der + (c)->h.issuer_off)
#define BENCH_SUBJECT(c) ((c)->der + (c)->h.subject_off)

typedef struct {
	bench_file_hdr hdr;
	bench_cert *certs; /* the chosen ones, in file order */
	size_t count;
} bench_data;

/*
 * Reads from path the records the filter keeps (every one when filter is
 * NULL): stored certificates only, extras only, or a sample. false with a
 * message on standard error when the file is missing or not ours.
 */
typedef bool (*bench_filter) (void *ctx, unsigned index, const bench_file_hdr *hdr);
bool bench_data_read (const char *path, bench_filter filter, void *ctx, bench_data *out);

/* Only the first record, without reading further. */
bool bench_data_read_first (const char *path, bench_data *out);

/* Only the header (N, der_bytes, tag): false when missing or not ours. */
bool bench_data_header (const char *path, bench_file_hdr *out);

void bench_data_free (bench_data *data);

#endif /* BENCH_DATA_H */

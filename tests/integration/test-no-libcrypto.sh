#!/bin/bash
# Without libcrypto (a shim makes the module's dlopen of it fail, as on a
# system where OpenSSL's library is missing): a certificate a client adds is
# refused with CKR_DEVICE_ERROR and a line saying what is missing, not called
# malformed, and the store does not change; what the store holds is still
# listed, read, and found by its value.
. "${BASH_SOURCE[0]%/*}/lib.sh"

shim=$TF_HELPERS/hide-libcrypto.so
[ -f "$shim" ] || fail "missing $shim (make all builds it)"

# hidden CMD...: CMD as a client whose module cannot load libcrypto.
hidden() {
	if [ "${TF_SANITIZED:-0}" = 1 ]; then
		TF_SANITIZER_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so) $shim" \
			client "$@"
	else
		client env LD_PRELOAD="$shim" "$@"
	fi
}

ca=$(fixture ca.pem)
server=$(fixture server.pem)
cert_der "$server" "$TF_SCRATCH/server.der"
db=$TF_SCRATCH/nssdb
make_nssdb "$db"
assert_ok client certutil -A -d "sql:$db" -h "Trust Folder" -n ca -t "C,," -i "$ca"
before=$(store_sql 'SELECT id, seq, hex(der), has_trust, trust_server FROM records')

# The shim works: the same add with libcrypto there succeeds further down.
run hidden certutil -A -d "sql:$db" -h "Trust Folder" -n server -t "P,," -i "$server"
[ "$status" -ne 0 ] || fail "certutil added a certificate the module could not read" "$output"
assert_contains "$output" "trustfolder: error: cannot load libcrypto.so.3 ("
assert_contains "$output" "certificates cannot be read or hashed"
assert_not_contains "$output" "well-formed"
assert_eq "$(store_sql 'SELECT id, seq, hex(der), has_trust, trust_server FROM records')" "$before" \
	"store after a refused add"

# The CKR code, as pkcs11-tool names it.
run hidden pkcs11-tool --module "$TF_MODULE" --token-label "Trust Folder" \
	--write-object "$TF_SCRATCH/server.der" --type cert --label srv
[ "$status" -ne 0 ] || fail "pkcs11-tool wrote a certificate the module could not read" "$output"
assert_contains "$output" "CKR_DEVICE_ERROR"
assert_eq "$(store_sql 'SELECT id, seq, hex(der), has_trust, trust_server FROM records')" "$before" \
	"store after a refused write"

# What is stored is still there: found by its value in a process that has
# loaded nothing yet (the store knows certificates by their SHA-1, which
# cannot be computed: the module compares the bytes of every certificate
# instead), listed with its trust, and read by nickname.
cert_der "$ca" "$TF_SCRATCH/ca.der"
assert_ok hidden "$TF_HELPERS/p11-client" "$TF_MODULE" find-value "$TF_SCRATCH/ca.der"
assert_contains "$output" "count 1"
assert_not_contains "$output" "trustfolder: warning"
# CKA_CHECK_VALUE is the start of a SHA-1: unavailable, rather than zeros.
assert_contains "$output" "check-value unavailable"
assert_ok client "$TF_HELPERS/p11-client" "$TF_MODULE" find-value "$TF_SCRATCH/ca.der"
assert_contains "$output" "check-value 3"
assert_ok hidden certutil -L -d "sql:$db" -h "Trust Folder"
assert_match "$(listed_certs "$output")" '^Trust Folder:ca +C, *, *$'
assert_ok hidden certutil -L -d "sql:$db" -n "Trust Folder:ca"
assert_contains "$output" "CN=trustfolder Test Root CA"
assert_not_contains "$output" "trustfolder: warning"

# With libcrypto, the same add goes through.
assert_ok client certutil -A -d "sql:$db" -h "Trust Folder" -n server -t "P,," -i "$server"
assert_eq "$(store_count_cert "$server")" 1 "store records for the added certificate"

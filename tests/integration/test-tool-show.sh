#!/bin/bash
# trustfolder show: every field a certificate viewer shows, for fixtures of
# every shape, checked against what the openssl command computes on its own
# (not the module's parser, not the tool's code); each --fields group alone;
# the same certificate named by file, DER file, label, "Trust Folder:label",
# fingerprints and PKCS#11 URI; and --help for every command.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

TOOL=$(dirname "$TF_MODULE")/trustfolder
[ -x "$TOOL" ] || fail "no $TOOL (make all)"
# tf ARGS...: the command against the module under test.
tf() {
	client "$TOOL" --module "$TF_MODULE" "$@"
}

# assert_line OUTPUT LINE: OUTPUT has exactly this line.
assert_line() {
	if ! grep -qxF -- "$2" <<<"$1"; then
		fail "expected the line \"$2\" in:" "$1"
	fi
}

# x509 FILE ARGS...: openssl x509 on a PEM or DER file.
x509() {
	local f=$1
	shift
	openssl x509 -in "$f" -inform "$([ "${f##*.}" = der ] && echo DER || echo PEM)" -noout "$@"
}

# utc "notBefore=Nov 27 17:02:00 2026 GMT": the date as show prints it.
utc() {
	date -u -d "${1#*=}" '+%Y-%m-%d %H:%M:%S UTC'
}

# ext_value FILE NAME: the value of extension NAME (openssl -ext name), one line.
ext_value() {
	x509 "$1" -ext "$2" | sed -n '2,$p' | sed 's/^ *//' | paste -sd ';' | sed 's/;/; /g'
}

# ext_critical FILE NAME: " (critical)" when the extension is critical.
ext_critical() {
	if x509 "$1" -ext "$2" | head -1 | grep -q critical; then echo " (critical)"; fi
}

# check_v1 FILE: the v1 group against openssl.
check_v1() {
	local f=$1 out alg bits serial
	assert_ok tf show "$f" --fields v1
	out=$output
	assert_line "$out" "Version: $(x509 "$f" -text | sed -n 's/^ *Version: \([0-9]*\) .*/\1/p')"
	# The serial's DER INTEGER without its tag and length, as colon-separated octets.
	serial=$(cert_hex "$f" serial | cut -c5- | sed 's/../&:/g; s/:$//')
	assert_line "$out" "Serial Number: $serial"
	assert_line "$out" "Signature Algorithm: $(x509 "$f" -text | sed -n 's/^ *Signature Algorithm: //p' | head -1)"
	assert_line "$out" "Issuer: $(x509 "$f" -issuer -nameopt utf8,sep_comma_plus_space | sed 's/^issuer=//')"
	assert_line "$out" "Subject: $(x509 "$f" -subject -nameopt utf8,sep_comma_plus_space | sed 's/^subject=//')"
	assert_line "$out" "Valid From: $(utc "$(x509 "$f" -startdate)")"
	assert_line "$out" "Valid To: $(utc "$(x509 "$f" -enddate)")"
	alg=$(x509 "$f" -text | sed -n 's/^ *Public Key Algorithm: //p')
	bits=$(x509 "$f" -text | sed -n 's/^ *Public-Key: (\([0-9]*\) bit)$/\1/p')
	assert_eq "$alg" rsaEncryption "public key algorithm of $f (the fixtures are RSA)"
	assert_line "$out" "Public Key: RSA ($bits bits)"
	assert_eq "$(wc -l <<<"$out")" 8 "lines of --fields v1"
}

# check_properties FILE: the thumbprints against openssl.
check_properties() {
	local f=$1
	assert_ok tf show "$f" --fields properties
	assert_eq "$output" "Thumbprint Algorithms: SHA-1, SHA-256
SHA-1 Fingerprint: $(x509 "$f" -fingerprint -sha1 | cut -d= -f2)
SHA-256 Fingerprint: $(x509 "$f" -fingerprint -sha256 | cut -d= -f2)" "show --fields properties of $f"
}

for name in ca inter server-inter wildcard longname negserial serial20 v1 noski expired notyet; do
	check_v1 "$(fixture "$name.pem")"
	check_properties "$(fixture "$name.pem")"
done
# The UTF-8 name, spelled out: no escapes of its non-ASCII letters.
assert_ok tf show "$(fixture longname.pem)" --fields v1
assert_match "$output" '^Subject: .*, CN=Ünïcödé long-name certificate$'
# A negative serial is its two's-complement octets, as certificate viewers show it.
assert_ok tf show "$(fixture negserial.pem)" --fields v1
assert_line "$output" "Serial Number: FB"
assert_ok tf show "$(fixture serial20.pem)" --fields v1
assert_line "$output" "Serial Number: 7F:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13"
assert_ok tf show "$(fixture expired.pem)" --fields v1
assert_line "$output" "Valid To: 2000-01-01 00:00:00 UTC"

# Extensions, against openssl -ext.
f=$(fixture server-inter.pem)
assert_ok tf show "$f" --fields extensions
ext=$output
assert_line "$ext" "Extensions:"
assert_line "$ext" "  Subject Key Identifier: $(ext_value "$f" subjectKeyIdentifier)"
assert_line "$ext" "  Authority Key Identifier: $(ext_value "$f" authorityKeyIdentifier)"
assert_line "$ext" "  Key Usage$(ext_critical "$f" keyUsage): $(ext_value "$f" keyUsage)"
assert_line "$ext" "  Extended Key Usage$(ext_critical "$f" extendedKeyUsage): $(ext_value "$f" extendedKeyUsage)"
assert_line "$ext" "  Basic Constraints$(ext_critical "$f" basicConstraints): $(ext_value "$f" basicConstraints)"
assert_line "$ext" "  Subject Alternative Name: DNS:localhost, IP Address:127.0.0.1"
assert_line "$ext" "  Extended Key Usage: TLS Web Server Authentication, TLS Web Client Authentication"
assert_eq "$(grep -c '^  ' <<<"$ext")" "$(x509 "$f" -text | grep -c '^ *X509v3 [A-Z][A-Za-z ]*:')" "extensions listed"

# Only the critical ones, exactly those openssl marks critical.
assert_ok tf show "$f" --fields critical
crit=$output
assert_line "$crit" "Critical Extensions:"
assert_eq "$(grep -c '^  ' <<<"$crit")" "$(x509 "$f" -text | grep -c '^ *X509v3 .*: critical$')" "critical extensions listed"
assert_line "$crit" "  Key Usage: $(ext_value "$f" keyUsage)"
assert_not_contains "$crit" "Extended Key Usage"
assert_not_contains "$crit" "Subject Key Identifier"
assert_not_contains "$crit" "Version:"

# The CA's and the e-mail certificate's.
f=$(fixture ca.pem)
assert_ok tf show "$f" --fields extensions
assert_line "$output" "  Basic Constraints (critical): CA:TRUE"
assert_line "$output" "  Subject Key Identifier: $(ext_value "$f" subjectKeyIdentifier)"
assert_ok tf show "$(fixture noski.pem)" --fields extensions
assert_line "$output" "  Extended Key Usage: E-mail Protection"
assert_not_contains "$output" "Subject Key Identifier"
# A version 1 certificate has none.
assert_ok tf show "$(fixture v1.pem)" --fields extensions,critical
assert_eq "$output" "Extensions: none
Critical Extensions: none" "show of a v1 certificate's extensions"

# The default is everything but the critical-only group, in viewer order.
assert_ok tf show "$(fixture server.pem)"
all=$output
assert_eq "$(head -1 <<<"$all")" "Version: 3" "first line of show"
assert_eq "$(tail -1 <<<"$all")" "SHA-256 Fingerprint: $(x509 "$(fixture server.pem)" -fingerprint -sha256 | cut -d= -f2)" "last line of show"
assert_line "$all" "Extensions:"
assert_not_contains "$all" "Critical Extensions:"
assert_ok tf show "$(fixture server.pem)" --fields all,critical
assert_contains "$output" "Critical Extensions:"
assert_ok tf show "$(fixture server.pem)" --fields v1,properties
assert_eq "$(wc -l <<<"$output")" 11 "lines of --fields v1,properties"
assert_not_contains "$output" "Extensions"

# One certificate, every way of naming it: the output is the same.
ca=$(fixture ca.pem)
assert_ok tf show "$ca"
expected=$output
assert_ok tf show "$(fixture ca.der)"
assert_eq "$output" "$expected" "show of the DER file"
assert_ok tf accept "$ca" --label "my root"
sha1=$(x509 "$ca" -fingerprint -sha1 | cut -d= -f2)
sha256=$(x509 "$ca" -fingerprint -sha256 | cut -d= -f2)
for name in "my root" "Trust Folder:my root" "$sha256" "$sha1" \
	"$(tr -d : <<<"$sha256" | tr A-F a-f)" \
	"pkcs11:token=Trust%20Folder;object=my%20root;type=cert" \
	"pkcs11:object=my%20root"; do
	assert_ok tf show "$name"
	assert_eq "$output" "$expected" "show \"$name\""
done
# An existing file wins over a label of the same name.
cp "$(fixture server.pem)" "$TF_SCRATCH/my root"
(cd "$TF_SCRATCH" && tf show "my root" --fields v1) >"$TF_SCRATCH/out" 2>&1
assert_contains "$(cat "$TF_SCRATCH/out")" "CN=localhost"

# A PEM bundle: its first certificate, and a note on standard error.
assert_ok tf show "$(fixture server-inter-chain.pem)" --fields v1
assert_contains "$output" "OU=under the intermediate, CN=localhost"
assert_contains "$output" "holds 2 certificates; showing the first"

# Help for the tool and for each command, on standard output, exit status 0.
assert_ok tf --help
assert_contains "$output" "Usage: trustfolder"
assert_contains "$output" "Exit status: 0"
for cmd in list show accept reject forget import export verify; do
	assert_ok tf "$cmd" --help
	assert_contains "$output" "Usage: trustfolder $cmd"
	assert_ok tf help "$cmd"
	assert_contains "$output" "Usage: trustfolder $cmd"
done
assert_ok tf --version
assert_match "$output" '^trustfolder [0-9]'
# Usage errors: exit status 2 and the command's usage.
assert_fails tf show
assert_eq "$status" 2 "exit status of show without CERT"
assert_contains "$output" "missing operand"
assert_contains "$output" "Usage: trustfolder show CERT"
assert_fails tf show "$ca" --fields nothing
assert_eq "$status" 2 "exit status of an unknown --fields group"
assert_contains "$output" 'unknown group "nothing"'
assert_fails tf frobnicate
assert_eq "$status" 2 "exit status of an unknown command"
assert_contains "$output" 'unknown command "frobnicate"'
assert_fails tf show "$ca" --json
assert_eq "$status" 2 "exit status of an option of another command"

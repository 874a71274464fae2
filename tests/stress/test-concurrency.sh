#!/bin/bash
# Four writer processes, certutil -L in a loop and a PKCS#11 reader at once
# (see concurrency.sh): every decision ends up present, no call fails because
# another process held the lock, readers always see whole records. The
# writers never take a certificate back (test-concurrency-removals.sh does).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"
# shellcheck source-path=SCRIPTDIR source=concurrency.sh
. "${BASH_SOURCE[0]%/*}/concurrency.sh"

concurrency_run 1

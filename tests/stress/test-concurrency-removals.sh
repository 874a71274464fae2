#!/bin/bash
# As test-concurrency.sh, with the writers also taking certificates back
# (certutil -D): certutil -L, which reads the attributes of every certificate
# it listed while other lookups bring in the removals, still succeeds: a
# record another process removed can be read by its handle a while longer.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"
# shellcheck source-path=SCRIPTDIR source=concurrency.sh
. "${BASH_SOURCE[0]%/*}/concurrency.sh"

concurrency_run 0

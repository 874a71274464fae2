#!/bin/bash
# PENDING (module bug, since 1fca722): test-threads.sh with another process
# writing to the same store meanwhile, so that the threads' searches bring in
# its commits while other threads read (under ThreadSanitizer too). It fails
# for the reason pending/test-wal-locks.sh gives (SIGBUS, a damaged store),
# before ThreadSanitizer can say anything about the shared lock for reads.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"
# shellcheck source-path=SCRIPTDIR source=threads.sh
. "${BASH_SOURCE[0]%/*}/threads.sh"

threads_run 1

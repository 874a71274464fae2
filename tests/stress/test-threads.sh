#!/bin/bash
# Concurrency inside one process: eight threads with their own sessions, and
# the same under ThreadSanitizer (see threads.sh). With another process
# writing to the same store meanwhile, it is pending/test-threads-with-writer.sh.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"
# shellcheck source-path=SCRIPTDIR source=threads.sh
. "${BASH_SOURCE[0]%/*}/threads.sh"

threads_run 0

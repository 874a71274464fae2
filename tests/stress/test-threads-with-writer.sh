#!/bin/bash
# test-threads.sh with another process writing to the same store meanwhile,
# so that the threads' searches bring in its commits while other threads read
# under the shared lock (under ThreadSanitizer too).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"
# shellcheck source-path=SCRIPTDIR source=threads.sh
. "${BASH_SOURCE[0]%/*}/threads.sh"

threads_run 1

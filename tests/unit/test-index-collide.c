/*
 * test-index.c again, over an index.c whose keys all hash alike (every key
 * of a table has one 64-bit hash): what the index does for keys that share
 * a whole hash (one slot each, found by their bytes) is otherwise next to
 * impossible to reach, and every other test must hold there too.
 */
#define TF_INDEX_ALL_KEYS_COLLIDE
#include "index.c"

/* The tests that cannot run here (they pick keys by their hashes) are left out of main. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "test-index.c"

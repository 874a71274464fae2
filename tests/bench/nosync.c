/*
 * nosync.so: fsync, fdatasync and sync_file_range that return at once.
 *
 * Preloaded only into the benchmark's "load" children, which fill a store
 * with N certificates before anything is measured: setup whose durability
 * does not matter, and which at one fsync per C_CreateObject would take
 * minutes (softoken has no batch). Every measured workload, "one decision"
 * and "bulk import" included, runs without it, with the real fsync.
 */
#include <fcntl.h>
#include <unistd.h>

int
fsync (int fd)
{
	(void)fd;
	return 0;
}

int
fdatasync (int fd)
{
	(void)fd;
	return 0;
}

int
sync_file_range (int fd, off64_t offset, off64_t nbytes, unsigned int flags)
{
	(void)fd;
	(void)offset;
	(void)nbytes;
	(void)flags;
	return 0;
}

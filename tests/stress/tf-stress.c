/*
 * tf-stress: see stress.h. The modes:
 *
 *   tf-stress gen POOL N                      N certificates (and leaves) into POOL
 *   tf-stress write MODULE POOL LOG [...]     decisions, acknowledged in LOG
 *   tf-stress check MODULE POOL [...] LOG...  everything acknowledged is there
 *   tf-stress read MODULE POOL STOPFILE       every object read is whole
 *   tf-stress threads MODULE POOL PREFIX [...] threads with their own sessions
 *   tf-stress shell MODULE POOL LOG           one command at a time from stdin
 *
 * Exit status: 0 when all was well, 1 when the module failed a check, 2 when
 * the test itself could not run.
 */
#include "stress.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int
mode_gen (int argc, char **argv)
{
	unsigned long n;

	if (argc != 3)
		die ("usage: tf-stress gen POOL N");
	n = strtoul (argv[2], NULL, 10);
	if (n == 0 || n > 99999)
		die ("a pool of %s certificates: between 1 and 99999", argv[2]);
	if (mkdir (argv[1], 0755) != 0 && errno != EEXIST)
		die ("%s: %s", argv[1], strerror (errno));
	return pool_generate (argv[1], n) ? 0 : 2;
}

int
main (int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run) (int argc, char **argv);
	} modes[] = {
	    {"gen", mode_gen},   {"write", mode_write},     {"check", mode_check},
	    {"read", mode_read}, {"threads", mode_threads}, {"shell", mode_shell},
	};
	size_t i;

	if (argc < 2)
		die ("usage: tf-stress gen|write|check|read|threads|shell ... (see tf-stress.c)");
	for (i = 0; i < sizeof (modes) / sizeof (modes[0]); i++) {
		if (strcmp (argv[1], modes[i].name) == 0)
			return modes[i].run (argc - 1, argv + 1);
	}
	die ("no mode %s", argv[1]);
}

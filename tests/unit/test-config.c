/*
 * Settings through their own interface (config.h): the parameter string, the
 * environment, the config file and the defaults, in that order. Each test
 * runs in a scratch directory with its own HOME and a clean environment; the
 * caller's environment is put back afterwards.
 */
#include "unit.h"

#include "config.h"
#include "log.h"
#include "trustfolder.h"

#include <ftw.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Every variable tf_config_load reads, saved in setup and restored in teardown. */
static const char *const env_names[] = {
    "HOME",       "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR",
    TF_ENV_STORE, TF_ENV_CONFIG,   TF_ENV_DEBUG,      TF_ENV_SESSION,
};
#define N_ENV (sizeof (env_names) / sizeof (env_names[0]))

typedef struct {
	char *dir;
	char *saved[N_ENV];
	tf_config cfg;
} fixture;

static char *
path_join (const char *dir, const char *name)
{
	char *path;

	assert_true (asprintf (&path, "%s/%s", dir, name) > 0);
	return path;
}

/* Writes text to dir/name, creating the directories on the way. */
static char *
write_file (const char *dir, const char *name, const char *text)
{
	char *path = path_join (dir, name);
	size_t i;
	FILE *f;

	for (i = strlen (dir) + 1; path[i] != '\0'; i++) {
		if (path[i] != '/')
			continue;
		path[i] = '\0';
		if (mkdir (path, 0700) != 0)
			assert_true (access (path, F_OK) == 0);
		path[i] = '/';
	}
	f = fopen (path, "w");
	assert_non_null (f);
	assert_true (fputs (text, f) >= 0);
	assert_int_equal (fclose (f), 0);
	return path;
}

/* Sets name to dir/sub (the scratch directory). */
static void
setenv_under (const fixture *fx, const char *name, const char *sub)
{
	char *path = path_join (fx->dir, sub);

	assert_int_equal (setenv (name, path, 1), 0);
	free (path);
}

/* A config file in the scratch directory that TRUSTFOLDER_CONFIG names. */
static void
use_config (const fixture *fx, const char *text)
{
	char *path = write_file (fx->dir, "explicit.conf", text);

	assert_int_equal (setenv (TF_ENV_CONFIG, path, 1), 0);
	free (path);
}

/*
 * A clean slate: HOME in the scratch directory, no XDG or trustfolder
 * variables, and TRUSTFOLDER_CONFIG on an empty file so that no config file
 * of the machine's (/etc/trustfolder, ~/.config) leaks in. Tests about
 * finding the config file unset it again.
 */
static int
setup (void **state)
{
	const char *tmp = getenv ("TMPDIR");
	fixture *fx;
	size_t i;

	fx = calloc (1, sizeof (*fx));
	assert_non_null (fx);
	for (i = 0; i < N_ENV; i++) {
		const char *v = getenv (env_names[i]);

		if (v != NULL) {
			fx->saved[i] = strdup (v);
			assert_non_null (fx->saved[i]);
		}
		assert_int_equal (unsetenv (env_names[i]), 0);
	}
	assert_true (asprintf (&fx->dir, "%s/tf-config-XXXXXX", tmp != NULL ? tmp : "/tmp") > 0);
	assert_non_null (mkdtemp (fx->dir));
	setenv_under (fx, "HOME", "home");
	use_config (fx, "");
	*state = fx;
	return 0;
}

static int
remove_one (const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove (path);
}

static int
teardown (void **state)
{
	fixture *fx = *state;
	size_t i;

	tf_config_clear (&fx->cfg);
	nftw (fx->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	for (i = 0; i < N_ENV; i++) {
		if (fx->saved[i] != NULL)
			setenv (env_names[i], fx->saved[i], 1);
		else
			unsetenv (env_names[i]);
		free (fx->saved[i]);
	}
	free (fx->dir);
	free (fx);
	return 0;
}

/* The store path is dir/sub, failing at the caller's line. */
#define assert_store_under(fx, sub)                                                                \
	check_under ((fx)->cfg.store_path, (fx), (sub), __FILE__, __LINE__)
#define assert_session_under(fx, sub)                                                              \
	check_under ((fx)->cfg.session_path, (fx), (sub), __FILE__, __LINE__)

static void
check_under (const char *got, const fixture *fx, const char *sub, const char *file, int line)
{
	char *want = path_join (fx->dir, sub);

	_assert_true (got != NULL, "a path", file, line);
	_assert_string_equal (got, want, file, line);
	free (want);
}

/* A load that must fail leaves nothing behind in cfg. */
#define assert_refused(fx, params) check_refused ((fx), (params), __FILE__, __LINE__)

static void
check_refused (fixture *fx, const char *params, const char *file, int line)
{
	CK_RV rv = tf_config_load (params, &fx->cfg);

	_assert_int_equal (rv, CKR_ARGUMENTS_BAD, file, line);
	_assert_true (fx->cfg.store_path == NULL, "no store path after a failure", file, line);
	_assert_true (fx->cfg.session_path == NULL, "no session path after a failure", file, line);
	_assert_true (!fx->cfg.read_only && !fx->cfg.debug, "no flags after a failure", file, line);
}

/* A load that must succeed; any cfg from an earlier load is cleared first. */
#define load(fx, params) check_load ((fx), (params), __FILE__, __LINE__)

static void
check_load (fixture *fx, const char *params, const char *file, int line)
{
	tf_config_clear (&fx->cfg);
	_assert_int_equal (tf_config_load (params, &fx->cfg), CKR_OK, file, line);
	_assert_true (fx->cfg.store_path != NULL, "a store path", file, line);
}

/*
 * Overwrites the last logged line, so that assert_warned sees only what the
 * code under test logged after the mark.
 */
static void
log_mark (void)
{
	tf_warn ("(unit test mark)");
}

/* The last warning or error contains text. */
#define assert_warned(text)                                                                        \
	_assert_true (strstr (tf_log_last (), (text)) != NULL, (text), __FILE__, __LINE__)

/* Where the store is */

static void
test_default_home (void **state)
{
	fixture *fx = *state;

	load (fx, NULL);
	assert_store_under (fx, "home/.local/share/trustfolder/trustfolder.db");
	assert_false (fx->cfg.read_only);
	assert_false (fx->cfg.debug);
	assert_int_equal (fx->cfg.session_mode, TF_SESSION_MEMORY);
	assert_null (fx->cfg.session_path);

	/* An empty parameter string is no parameters. */
	load (fx, "");
	assert_store_under (fx, "home/.local/share/trustfolder/trustfolder.db");
	load (fx, " \t\n ");
	assert_store_under (fx, "home/.local/share/trustfolder/trustfolder.db");
}

static void
test_default_xdg_data_home (void **state)
{
	fixture *fx = *state;

	setenv_under (fx, "XDG_DATA_HOME", "data");
	load (fx, NULL);
	assert_store_under (fx, "data/trustfolder/trustfolder.db");

	/* Empty or relative: ignored, as the XDG spec says. */
	setenv ("XDG_DATA_HOME", "", 1);
	load (fx, NULL);
	assert_store_under (fx, "home/.local/share/trustfolder/trustfolder.db");
	setenv ("XDG_DATA_HOME", "relative/data", 1);
	load (fx, NULL);
	assert_store_under (fx, "home/.local/share/trustfolder/trustfolder.db");
}

static void
test_default_from_passwd (void **state)
{
	fixture *fx = *state;
	const char *suffix = "/.local/share/trustfolder/trustfolder.db";
	struct passwd *pw = getpwuid (getuid ());
	char *want;

	assert_non_null (pw);
	assert_true (asprintf (&want, "%s%s", pw->pw_dir, suffix) > 0);

	unsetenv ("HOME");
	load (fx, NULL);
	assert_string_equal (fx->cfg.store_path, want);

	/* An empty HOME is no HOME. */
	setenv ("HOME", "", 1);
	load (fx, NULL);
	assert_string_equal (fx->cfg.store_path, want);
	free (want);
}

static void
test_precedence (void **state)
{
	fixture *fx = *state;

	use_config (fx, "store = /from/file.db\n");
	setenv (TF_ENV_STORE, "/from/env.db", 1);
	setenv_under (fx, "XDG_DATA_HOME", "data");

	load (fx, "store=/from/param.db");
	assert_string_equal (fx->cfg.store_path, "/from/param.db");

	load (fx, NULL);
	assert_string_equal (fx->cfg.store_path, "/from/env.db");

	/* A parameter string that names other settings leaves the store to the rest. */
	load (fx, "read-only=yes");
	assert_string_equal (fx->cfg.store_path, "/from/env.db");

	/* An empty variable is no variable. */
	setenv (TF_ENV_STORE, "", 1);
	load (fx, NULL);
	assert_string_equal (fx->cfg.store_path, "/from/file.db");

	unsetenv (TF_ENV_STORE);
	load (fx, NULL);
	assert_string_equal (fx->cfg.store_path, "/from/file.db");

	use_config (fx, "# nothing here\n");
	load (fx, NULL);
	assert_store_under (fx, "data/trustfolder/trustfolder.db");
}

static void
test_precedence_per_setting (void **state)
{
	fixture *fx = *state;

	/* Each setting on its own: the file's store stays while a parameter sets read-only. */
	use_config (fx, "store = /from/file.db\nread-only = yes\ndebug = yes\nsession = memory\n");
	load (fx, "read-only=no");
	assert_string_equal (fx->cfg.store_path, "/from/file.db");
	assert_false (fx->cfg.read_only);
	assert_true (fx->cfg.debug);

	load (fx, NULL);
	assert_true (fx->cfg.read_only);

	/* The parameter beats TRUSTFOLDER_DEBUG, which beats the file. */
	use_config (fx, "debug = no\n");
	setenv (TF_ENV_DEBUG, "1", 1);
	load (fx, NULL);
	assert_true (fx->cfg.debug);
	load (fx, "debug=no");
	assert_false (fx->cfg.debug);

	/* The parameter beats TRUSTFOLDER_SESSION. */
	setenv (TF_ENV_SESSION, "runtime", 1);
	setenv_under (fx, "XDG_RUNTIME_DIR", "run");
	load (fx, "session=memory");
	assert_int_equal (fx->cfg.session_mode, TF_SESSION_MEMORY);
	assert_null (fx->cfg.session_path);
	load (fx, NULL);
	assert_int_equal (fx->cfg.session_mode, TF_SESSION_RUNTIME);
}

/* Which config file */

static void
test_config_file_xdg (void **state)
{
	fixture *fx = *state;
	char *path;

	unsetenv (TF_ENV_CONFIG);
	path =
	    write_file (fx->dir, "xdgconf/trustfolder/trustfolder.conf", "store = /from/xdg.db\n");
	free (path);
	path = write_file (fx->dir, "home/.config/trustfolder/trustfolder.conf",
	                   "store = /from/dot-config.db\n");
	free (path);

	setenv_under (fx, "XDG_CONFIG_HOME", "xdgconf");
	load (fx, NULL);
	assert_string_equal (fx->cfg.store_path, "/from/xdg.db");

	/* Without XDG_CONFIG_HOME (or with a relative one): ~/.config. */
	unsetenv ("XDG_CONFIG_HOME");
	load (fx, NULL);
	assert_string_equal (fx->cfg.store_path, "/from/dot-config.db");
	setenv ("XDG_CONFIG_HOME", "xdgconf", 1);
	load (fx, NULL);
	assert_string_equal (fx->cfg.store_path, "/from/dot-config.db");

	/* TRUSTFOLDER_CONFIG comes first. */
	setenv_under (fx, "XDG_CONFIG_HOME", "xdgconf");
	use_config (fx, "store = /from/explicit.db\n");
	load (fx, NULL);
	assert_string_equal (fx->cfg.store_path, "/from/explicit.db");
}

static void
test_config_file_missing (void **state)
{
	fixture *fx = *state;

	/* Named but not there: a warning, and the defaults. */
	setenv_under (fx, TF_ENV_CONFIG, "no-such.conf");
	log_mark ();
	load (fx, NULL);
	assert_warned ("no-such.conf");
	assert_store_under (fx, "home/.local/share/trustfolder/trustfolder.db");
}

static void
test_config_file_syntax (void **state)
{
	fixture *fx = *state;

	use_config (fx, "# a comment = with an equals sign\n"
	                "\n"
	                "   \t\n"
	                "  store   =   /spaced/path with blanks.db   \n"
	                "this line has no equals sign\n"
	                "\tread-only=on\n"
	                "debug = true");
	log_mark ();
	load (fx, NULL);
	assert_warned ("not key = value");
	assert_string_equal (fx->cfg.store_path, "/spaced/path with blanks.db");
	assert_true (fx->cfg.read_only);
	assert_true (fx->cfg.debug);
}

static void
test_config_file_unknown_key (void **state)
{
	fixture *fx = *state;

	use_config (fx, "colour = blue\nstore = /after/unknown.db\n");
	log_mark ();
	load (fx, NULL);
	assert_warned ("colour");
	/* The rest of the file still counts. */
	assert_string_equal (fx->cfg.store_path, "/after/unknown.db");
}

/* The parameter string */

static void
test_params_quoted (void **state)
{
	fixture *fx = *state;

	load (fx, "store=\"/a dir/with  spaces/t.db\" read-only=yes");
	assert_string_equal (fx->cfg.store_path, "/a dir/with  spaces/t.db");
	assert_true (fx->cfg.read_only);

	/* Any white space between words; = inside quotes is data. */
	load (fx, "\t debug=yes\n\nstore=\"/x=y/z.db\"  ");
	assert_string_equal (fx->cfg.store_path, "/x=y/z.db");
	assert_true (fx->cfg.debug);

	load (fx, "store=/plain/path.db");
	assert_string_equal (fx->cfg.store_path, "/plain/path.db");
}

static void
test_params_refused (void **state)
{
	fixture *fx = *state;

	assert_refused (fx, "colour=blue");
	assert_refused (fx, "store=/ok.db colour=blue");
	assert_refused (fx, "Store=/x.db");
	assert_refused (fx, "store");
	assert_refused (fx, "store /x.db");
	assert_refused (fx, "store =/x.db");
	assert_refused (fx, "=/x.db");
	assert_refused (fx, "store=\"/unterminated");
	assert_refused (fx, "store=");
	assert_refused (fx, "store=\"\"");
	assert_refused (fx, "read-only=maybe");
	assert_refused (fx, "read-only=");
	assert_refused (fx, "debug=2");
	assert_refused (fx, "session=disk");
	assert_refused (fx, "session=");
}

static void
test_booleans (void **state)
{
	static const char *const yes[] = {"yes", "true", "1", "on"};
	static const char *const no[] = {"no", "false", "0", "off"};
	fixture *fx = *state;
	char params[64];
	size_t i;

	for (i = 0; i < 4; i++) {
		snprintf (params, sizeof (params), "read-only=%s debug=%s", yes[i], no[i]);
		load (fx, params);
		assert_true (fx->cfg.read_only);
		assert_false (fx->cfg.debug);

		snprintf (params, sizeof (params), "read-only=%s debug=%s", no[i], yes[i]);
		load (fx, params);
		assert_false (fx->cfg.read_only);
		assert_true (fx->cfg.debug);
	}
}

static void
test_debug_from_env (void **state)
{
	fixture *fx = *state;

	setenv (TF_ENV_DEBUG, "1", 1);
	load (fx, NULL);
	assert_true (fx->cfg.debug);

	setenv (TF_ENV_DEBUG, "", 1);
	load (fx, NULL);
	assert_false (fx->cfg.debug);
}

/* Where the session token lives */

static void
test_session_runtime (void **state)
{
	fixture *fx = *state;

	setenv_under (fx, "XDG_RUNTIME_DIR", "run");
	load (fx, "session=runtime");
	assert_int_equal (fx->cfg.session_mode, TF_SESSION_RUNTIME);
	assert_session_under (fx, "run/trustfolder/session.db");
	/* The persistent store is where it always is. */
	assert_store_under (fx, "home/.local/share/trustfolder/trustfolder.db");

	/* From the environment and from the file as well. */
	setenv (TF_ENV_SESSION, "runtime", 1);
	load (fx, NULL);
	assert_int_equal (fx->cfg.session_mode, TF_SESSION_RUNTIME);
	assert_session_under (fx, "run/trustfolder/session.db");

	unsetenv (TF_ENV_SESSION);
	use_config (fx, "session = runtime\n");
	load (fx, NULL);
	assert_int_equal (fx->cfg.session_mode, TF_SESSION_RUNTIME);
	assert_session_under (fx, "run/trustfolder/session.db");

	load (fx, "session=memory");
	assert_int_equal (fx->cfg.session_mode, TF_SESSION_MEMORY);
	assert_null (fx->cfg.session_path);
}

static void
test_session_runtime_without_dir (void **state)
{
	fixture *fx = *state;

	assert_refused (fx, "session=runtime");

	setenv ("XDG_RUNTIME_DIR", "", 1);
	assert_refused (fx, "session=runtime");

	setenv (TF_ENV_SESSION, "runtime", 1);
	assert_refused (fx, NULL);
}

static void
test_clear_twice (void **state)
{
	fixture *fx = *state;

	setenv_under (fx, "XDG_RUNTIME_DIR", "run");
	load (fx, "session=runtime read-only=yes");
	tf_config_clear (&fx->cfg);
	assert_null (fx->cfg.store_path);
	assert_null (fx->cfg.session_path);
	assert_false (fx->cfg.read_only);
	tf_config_clear (&fx->cfg);
}

/* config.h: a malformed value in the config file is a warning, not a failure. */
static void
test_config_file_bad_value_warns (void **state)
{
	fixture *fx = *state;

	use_config (fx, "read-only = maybe\n");
	log_mark ();
	load (fx, NULL);
	assert_warned ("maybe");
	assert_false (fx->cfg.read_only);
	tf_config_clear (&fx->cfg);

	use_config (fx, "session = disk\nstore = /still/read.db\n");
	log_mark ();
	load (fx, NULL);
	assert_warned ("disk");
	assert_int_equal (fx->cfg.session_mode, TF_SESSION_MEMORY);
	assert_string_equal (fx->cfg.store_path, "/still/read.db");
	tf_config_clear (&fx->cfg);
}

/* log.c reads TRUSTFOLDER_DEBUG=0 as off; so must the settings. */
static void
test_debug_env_zero_is_off (void **state)
{
	fixture *fx = *state;

	setenv (TF_ENV_DEBUG, "0", 1);
	load (fx, NULL);
	assert_false (fx->cfg.debug);
	tf_config_clear (&fx->cfg);
}

/* A relative XDG_RUNTIME_DIR counts as unset: the session store never lands on disk. */
static void
test_session_runtime_relative_dir (void **state)
{
	fixture *fx = *state;

	setenv ("XDG_RUNTIME_DIR", "relative/run", 1);
	assert_refused (fx, "session=runtime");
}

/* A comment longer than the line buffer is skipped whole: its tail sets nothing. */
static void
test_config_file_long_line (void **state)
{
	fixture *fx = *state;
	size_t fill = 4094;
	char *text;

	text = malloc (fill + 64);
	assert_non_null (text);
	text[0] = '#';
	memset (text + 1, 'x', fill);
	strcpy (text + 1 + fill, "store = /from/a/comment.db\n");
	use_config (fx, text);
	free (text);
	load (fx, NULL);
	assert_store_under (fx, "home/.local/share/trustfolder/trustfolder.db");
	tf_config_clear (&fx->cfg);
}

#define TEST(fn) cmocka_unit_test_setup_teardown (fn, setup, teardown)

int
main (void)
{
	const struct CMUnitTest tests[] = {
	    TEST (test_default_home),
	    TEST (test_default_xdg_data_home),
	    TEST (test_default_from_passwd),
	    TEST (test_precedence),
	    TEST (test_precedence_per_setting),
	    TEST (test_config_file_xdg),
	    TEST (test_config_file_missing),
	    TEST (test_config_file_syntax),
	    TEST (test_config_file_unknown_key),
	    TEST (test_params_quoted),
	    TEST (test_params_refused),
	    TEST (test_booleans),
	    TEST (test_debug_from_env),
	    TEST (test_session_runtime),
	    TEST (test_session_runtime_without_dir),
	    TEST (test_clear_twice),
	    TEST (test_config_file_bad_value_warns),
	    TEST (test_debug_env_zero_is_off),
	    TEST (test_session_runtime_relative_dir),
	    TEST (test_config_file_long_line),
	};

	return cmocka_run_group_tests (tests, NULL, NULL);
}

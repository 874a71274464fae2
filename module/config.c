/*
 * Settings: parameter string, environment, config file, defaults.
 */
#include "config.h"

#include "log.h"
#include "trustfolder.h"

#include <ctype.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The settings as strings, before they are interpreted. */
typedef struct {
	char *store;
	char *read_only;
	char *session;
	char *debug;
} raw_settings;

static void
raw_clear (raw_settings *raw)
{
	free (raw->store);
	free (raw->read_only);
	free (raw->session);
	free (raw->debug);
	memset (raw, 0, sizeof (*raw));
}

/* Sets a setting unless an earlier source already did. -1: unknown key, 0: no memory. */
static int
raw_set (raw_settings *raw, const char *key, size_t klen, const char *value, size_t vlen)
{
	char **slot;

	if (klen == strlen (TF_PARAM_STORE) && strncmp (key, TF_PARAM_STORE, klen) == 0)
		slot = &raw->store;
	else if (klen == strlen (TF_PARAM_READ_ONLY) && strncmp (key, TF_PARAM_READ_ONLY, klen) == 0)
		slot = &raw->read_only;
	else if (klen == strlen (TF_PARAM_SESSION) && strncmp (key, TF_PARAM_SESSION, klen) == 0)
		slot = &raw->session;
	else if (klen == strlen (TF_PARAM_DEBUG) && strncmp (key, TF_PARAM_DEBUG, klen) == 0)
		slot = &raw->debug;
	else
		return -1;
	if (*slot != NULL)
		return 1;
	*slot = strndup (value, vlen);
	return *slot != NULL;
}

/*
 * The parameter string: words separated by white space, each key=value; a
 * value may be double-quoted to hold spaces.
 */
static CK_RV
parse_params (const char *params, raw_settings *raw)
{
	const char *p = params, *key, *eq, *value;
	size_t klen, vlen;
	int r;

	while (*p != '\0') {
		while (isspace ((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		key = p;
		while (*p != '\0' && *p != '=' && !isspace ((unsigned char)*p))
			p++;
		if (*p != '=') {
			tf_error ("module parameter \"%.*s\" is not key=value", (int)(p - key), key);
			return CKR_ARGUMENTS_BAD;
		}
		eq = p++;
		klen = (size_t)(eq - key);
		if (*p == '"') {
			value = ++p;
			while (*p != '\0' && *p != '"')
				p++;
			if (*p != '"') {
				tf_error ("module parameter %.*s: unterminated quote", (int)klen, key);
				return CKR_ARGUMENTS_BAD;
			}
			vlen = (size_t)(p - value);
			p++;
		} else {
			value = p;
			while (*p != '\0' && !isspace ((unsigned char)*p))
				p++;
			vlen = (size_t)(p - value);
		}
		r = raw_set (raw, key, klen, value, vlen);
		if (r < 0) {
			tf_error ("unknown module parameter \"%.*s\" (known: store, read-only, "
				  "session, debug)",
				  (int)klen, key);
			return CKR_ARGUMENTS_BAD;
		}
		if (r == 0)
			return CKR_HOST_MEMORY;
	}
	return CKR_OK;
}

static const char *
env_nonempty (const char *name)
{
	const char *v = getenv (name);

	return (v != NULL && v[0] != '\0') ? v : NULL;
}

static const char *
home_dir (void)
{
	const char *home = env_nonempty ("HOME");
	struct passwd *pw;

	if (home != NULL)
		return home;
	pw = getpwuid (getuid ());
	return (pw != NULL && pw->pw_dir != NULL && pw->pw_dir[0] != '\0') ? pw->pw_dir : NULL;
}

/* $VAR/suffix, else $HOME/fallback/suffix; NULL when neither is known. */
static char *
xdg_path (const char *var, const char *fallback, const char *suffix)
{
	const char *base = env_nonempty (var), *home;
	char *out = NULL;

	if (base != NULL && base[0] == '/') {
		if (asprintf (&out, "%s/%s", base, suffix) < 0)
			out = NULL;
		return out;
	}
	home = home_dir ();
	if (home == NULL)
		return NULL;
	if (asprintf (&out, "%s/%s/%s", home, fallback, suffix) < 0)
		out = NULL;
	return out;
}

static char *
trim (char *s)
{
	char *end;

	while (isspace ((unsigned char)*s))
		s++;
	end = s + strlen (s);
	while (end > s && isspace ((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static bool
is_bool_word (const char *v)
{
	static const char *const words[] = { "yes", "true", "1", "on", "no", "false", "0", "off" };
	size_t i;

	for (i = 0; i < sizeof (words) / sizeof (words[0]); i++) {
		if (strcmp (v, words[i]) == 0)
			return true;
	}
	return false;
}

/*
 * A value from the config file that the module could not use is a warning
 * there, not a failure: a typo in a file must not take the token away.
 */
static bool
file_value_valid (const char *key, const char *value)
{
	if (strcmp (key, TF_PARAM_READ_ONLY) == 0 || strcmp (key, TF_PARAM_DEBUG) == 0)
		return is_bool_word (value);
	if (strcmp (key, TF_PARAM_SESSION) == 0)
		return strcmp (value, "memory") == 0 || strcmp (value, "runtime") == 0;
	if (strcmp (key, TF_PARAM_STORE) == 0)
		return value[0] != '\0';
	return true; /* unknown keys are reported by raw_set's caller */
}

/* The config file: "key = value" lines, '#' comments. Problems are warnings. */
static CK_RV
read_config_file (const char *path, bool must_exist, raw_settings *raw)
{
	char line[4096], *key, *value, *eq;
	unsigned lineno = 0;
	FILE *f;
	int r;

	f = fopen (path, "re");
	if (f == NULL) {
		if (must_exist)
			tf_warn ("cannot read config file %s (%m)", path);
		return CKR_OK;
	}
	while (fgets (line, sizeof (line), f) != NULL) {
		lineno++;
		if (strchr (line, '\n') == NULL && !feof (f)) {
			/* A line longer than the buffer: skip all of it, never read its tail. */
			tf_warn ("%s:%u: line longer than %zu bytes, ignored", path, lineno,
				 sizeof (line) - 2);
			while (fgets (line, sizeof (line), f) != NULL && strchr (line, '\n') == NULL)
				;
			continue;
		}
		key = trim (line);
		if (*key == '\0' || *key == '#')
			continue;
		eq = strchr (key, '=');
		if (eq == NULL) {
			tf_warn ("%s:%u: not key = value, ignored", path, lineno);
			continue;
		}
		*eq = '\0';
		key = trim (key);
		value = trim (eq + 1);
		if (!file_value_valid (key, value)) {
			tf_warn ("%s:%u: \"%s = %s\" is not a valid value, ignored", path, lineno,
				 key, value);
			continue;
		}
		r = raw_set (raw, key, strlen (key), value, strlen (value));
		if (r < 0)
			tf_warn ("%s:%u: unknown setting \"%s\", ignored", path, lineno, key);
		else if (r == 0) {
			fclose (f);
			return CKR_HOST_MEMORY;
		}
	}
	fclose (f);
	return CKR_OK;
}

static bool
parse_bool (const char *name, const char *v, bool *out)
{
	if (strcmp (v, "yes") == 0 || strcmp (v, "true") == 0 || strcmp (v, "1") == 0 ||
	    strcmp (v, "on") == 0) {
		*out = true;
		return true;
	}
	if (strcmp (v, "no") == 0 || strcmp (v, "false") == 0 || strcmp (v, "0") == 0 ||
	    strcmp (v, "off") == 0) {
		*out = false;
		return true;
	}
	tf_error ("setting %s=%s: expected yes or no", name, v);
	return false;
}

static CK_RV
interpret (raw_settings *raw, tf_config *cfg)
{
	const char *env;

	if (raw->debug != NULL && !parse_bool (TF_PARAM_DEBUG, raw->debug, &cfg->debug))
		return CKR_ARGUMENTS_BAD;
	if (raw->read_only != NULL &&
	    !parse_bool (TF_PARAM_READ_ONLY, raw->read_only, &cfg->read_only))
		return CKR_ARGUMENTS_BAD;

	if (raw->session == NULL || strcmp (raw->session, "memory") == 0) {
		cfg->session_mode = TF_SESSION_MEMORY;
	} else if (strcmp (raw->session, "runtime") == 0) {
		cfg->session_mode = TF_SESSION_RUNTIME;
		env = env_nonempty ("XDG_RUNTIME_DIR");
		/* Relative is as good as unset (XDG): never fall back to persistent storage. */
		if (env == NULL || env[0] != '/') {
			tf_error ("session=runtime needs $XDG_RUNTIME_DIR, an absolute path, which "
				  "is not set");
			return CKR_ARGUMENTS_BAD;
		}
		cfg->session_path = xdg_path ("XDG_RUNTIME_DIR", "", "trustfolder/session.db");
		if (cfg->session_path == NULL)
			return CKR_HOST_MEMORY;
	} else {
		tf_error ("setting session=%s: expected memory or runtime", raw->session);
		return CKR_ARGUMENTS_BAD;
	}

	if (raw->store != NULL) {
		if (raw->store[0] == '\0') {
			tf_error ("setting store= is empty");
			return CKR_ARGUMENTS_BAD;
		}
		cfg->store_path = strdup (raw->store);
	} else {
		cfg->store_path =
			xdg_path ("XDG_DATA_HOME", ".local/share", "trustfolder/trustfolder.db");
		if (cfg->store_path == NULL) {
			/* Not fatal: the session token still works; the persistent one is absent. */
			tf_error ("cannot tell where the store goes: HOME and XDG_DATA_HOME are "
				  "unset and the user has no home directory; set TRUSTFOLDER_STORE");
			cfg->store_path = strdup ("");
		}
	}
	return cfg->store_path != NULL ? CKR_OK : CKR_HOST_MEMORY;
}

static bool
debug_env_on (const char *v)
{
	return strcmp (v, "0") != 0 && strcmp (v, "no") != 0 && strcmp (v, "false") != 0 &&
	       strcmp (v, "off") != 0;
}

CK_RV
tf_config_load (const char *params, tf_config *cfg)
{
	raw_settings raw = { 0 };
	const char *env;
	char *user_conf = NULL;
	CK_RV rv;

	memset (cfg, 0, sizeof (*cfg));
	if (params != NULL) {
		rv = parse_params (params, &raw);
		if (rv != CKR_OK)
			goto out;
	}

	rv = CKR_HOST_MEMORY;
	if ((env = env_nonempty (TF_ENV_STORE)) != NULL &&
	    raw_set (&raw, TF_PARAM_STORE, strlen (TF_PARAM_STORE), env, strlen (env)) == 0)
		goto out;
	if ((env = env_nonempty (TF_ENV_SESSION)) != NULL &&
	    raw_set (&raw, TF_PARAM_SESSION, strlen (TF_PARAM_SESSION), env, strlen (env)) == 0)
		goto out;
	/* TRUSTFOLDER_DEBUG: any value turns it on, but "0", "no", "false" and "off". */
	if ((env = env_nonempty (TF_ENV_DEBUG)) != NULL &&
	    raw_set (&raw, TF_PARAM_DEBUG, strlen (TF_PARAM_DEBUG),
		     debug_env_on (env) ? "yes" : "no", debug_env_on (env) ? 3 : 2) == 0)
		goto out;

	if ((env = env_nonempty (TF_ENV_CONFIG)) != NULL) {
		rv = read_config_file (env, true, &raw);
	} else {
		user_conf = xdg_path ("XDG_CONFIG_HOME", ".config", "trustfolder/trustfolder.conf");
		rv = CKR_OK;
		if (user_conf != NULL && access (user_conf, F_OK) == 0)
			rv = read_config_file (user_conf, true, &raw);
		else
			rv = read_config_file ("/etc/trustfolder/trustfolder.conf", false, &raw);
	}
	if (rv != CKR_OK)
		goto out;

	rv = interpret (&raw, cfg);
out:
	free (user_conf);
	raw_clear (&raw);
	if (rv != CKR_OK)
		tf_config_clear (cfg);
	return rv;
}

void
tf_config_clear (tf_config *cfg)
{
	free (cfg->store_path);
	free (cfg->session_path);
	memset (cfg, 0, sizeof (*cfg));
}

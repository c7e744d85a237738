/*
 * i18n.c: see i18n.h. The catalogs are where platform.h says they travel
 * with the program (relative to it on Linux, so the build tree, an
 * installed copy and the one-file bundle all find their own without a
 * compiled-in prefix; inside the .exe on Windows); HANDOFF_LOCALEDIR
 * overrides it.
 */
#include "i18n.h"

#include <limits.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"

/* The one piece of process-wide state: gettext itself is process-wide. */
static const char *helper_i18n_current = "en";

/* True when a POSIX locale name (ja_JP.UTF-8, ja, ja_JP) is Japanese. */
static bool helper_i18n_is_ja(const char *name)
{
	return name != NULL && strncmp(name, "ja", 2) == 0 &&
	       (name[2] == '\0' || name[2] == '_' || name[2] == '.' || name[2] == '@');
}

/* The language the environment asks for, in POSIX precedence order. */
static const char *helper_i18n_env(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);

		if (v != NULL && v[0] != '\0')
			return v;
	}
	return NULL;
}

static void helper_i18n_bind(void)
{
	const char *dir = getenv("HANDOFF_LOCALEDIR");

	if (dir != NULL && dir[0] != '\0')
		bindtextdomain(HELPER_I18N_DOMAIN, dir);
	else if (helper_platform_bind_catalogs(HELPER_I18N_DOMAIN) != 0)
		return;
	bind_textdomain_codeset(HELPER_I18N_DOMAIN, "UTF-8");
}

void helper_i18n_init(const char *lang)
{
	bool located = setlocale(LC_ALL, "") != NULL;
	bool ja;

	/* Nothing named: the desktop's own display language where it has one (Windows' Settings). */
	if (lang == NULL && helper_i18n_env() == NULL)
		lang = helper_platform_ui_language();
	ja = lang != NULL ? strcmp(lang, "ja") == 0 : helper_i18n_is_ja(helper_i18n_env());

	/* Numbers in logs and on the wire stay in the C format whatever the locale. */
	setlocale(LC_NUMERIC, "C");
	if (lang != NULL || !located) {
		/*
		 * gettext returns the ids in the "C" locale and honours LANGUAGE
		 * in any other; C.UTF-8 is in every glibc and keeps UTF-8 output.
		 */
		if (setlocale(LC_MESSAGES, ja ? "ja_JP.UTF-8" : "C.UTF-8") == NULL)
			setlocale(LC_MESSAGES, "C.UTF-8");
		if (setlocale(LC_CTYPE, "C.UTF-8") == NULL && !located)
			setlocale(LC_CTYPE, "");
		helper_platform_setenv("LANGUAGE", ja ? "ja" : "en");
	}
	helper_i18n_current = ja ? "ja" : "en";
	helper_i18n_bind();
}

const char *helper_i18n_lang(void)
{
	return helper_i18n_current;
}

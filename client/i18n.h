/*
 * i18n: the customer's language. Every string the customer sees goes
 * through _() (gettext, text domain "handoff-helper"); the English text is
 * the message id, and po/ja.po holds the Japanese catalog, compiled to
 * share/locale/ja/LC_MESSAGES/handoff-helper.mo beside the program.
 *
 * The locale decides (LC_ALL, LC_MESSAGES, LANG, as usual) and --lang
 * overrides it; with none of them set, the desktop's display language
 * (platform.h: Windows' preferred UI languages; nothing on Linux). A customer whose Japanese locale was never generated on
 * this machine (setlocale fails, as on a minimal Debian) still gets the
 * Japanese catalog: the language is taken from the environment by name
 * and the messages run under C.UTF-8.
 */
#ifndef HANDOFF_HELPER_I18N_H
#define HANDOFF_HELPER_I18N_H

#include <libintl.h>

#define HELPER_I18N_DOMAIN "handoff-helper"
#define _(s) dgettext(HELPER_I18N_DOMAIN, s)
/* Marks a string for the catalog where it is translated later. */
#define N_(s) (s)

/*
 * Sets up the locale and the catalog. lang is "en", "ja" or NULL (the
 * environment decides). Safe to call more than once. Never fails: without
 * a catalog, the English ids are shown.
 */
void helper_i18n_init(const char *lang);
/* "en" or "ja": the language the customer is being shown. */
const char *helper_i18n_lang(void);

#endif

/* ui_words.c: see ui_words.h. */
#include "ui_words.h"

#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "i18n.h"
#include "ui_text.h"

const char *helper_ui_words_tier(const char *tier, char *out, size_t outlen)
{
	if (tier != NULL && strcmp(tier, "L1") == 0)
		return _("help desk");
	if (tier != NULL && strcmp(tier, "L2") == 0)
		return _("technical support team");
	if (tier != NULL && strcmp(tier, "L3") == 0)
		return _("specialist team");
	return helper_ui_text_clean(tier, out, outlen);
}

const char *helper_ui_words_who(const char *name, const char *tier, const char *org, char *out,
				size_t outlen)
{
	char n[512], t[128];
	const char *words;

	helper_ui_text_clean(name, n, sizeof(n));
	words = helper_ui_words_tier(tier, t, sizeof(t));
	if (org != NULL && org[0] != '\0')
		/* TRANSLATORS: a technician's name, their organisation, their team (help desk, ...). */
		snprintf(out, outlen, _("%1$s from %2$s's %3$s"), n, org, words);
	else
		/* TRANSLATORS: a technician's name and their team (help desk, ...). */
		snprintf(out, outlen, _("%1$s from the %2$s"), n, words);
	return out;
}

const char *helper_ui_words_notice(unsigned kind, const char *name, const char *tier, const char *org, char *out,
				   size_t outlen)
{
	char clean_org[256], who[768], tb[128];

	helper_ui_text_clean(org, clean_org, sizeof(clean_org));
	switch (kind) {
	case CTL_NOTICE_ESCALATED:
		/* TRANSLATORS: %s is a team (technical support team, specialist team). */
		snprintf(out, outlen, _("Your request has been passed to the %s. Please wait: your session stays open."),
			 helper_ui_words_tier(tier, tb, sizeof(tb)));
		return out;
	case CTL_NOTICE_TAKEN:
		helper_ui_words_who(name, tier, clean_org, who, sizeof(who));
		/* TRANSLATORS: %s is who (bob from Acme IT's technical support team). */
		snprintf(out, outlen, _("%s is now helping you."), who);
		return out;
	default:
		return NULL;
	}
}

const char *helper_ui_words_selfhelp(const char *articles, char *out, size_t outlen)
{
	static const char *const labels[] = { "Symptoms: ", "Fix: " };
	size_t used = 0;

	out[0] = '\0';
	for (const char *p = articles != NULL ? articles : ""; *p != '\0';) {
		const char *end = strchr(p, '\n'), *label = "";
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
		char clean[1024];
		int w;

		for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
			if (strncmp(p, labels[i], strlen(labels[i])) == 0) {
				label = i == 0 ? _("Symptoms: ") : _("Fix: ");
				p += strlen(labels[i]);
				n -= strlen(labels[i]);
				break;
			}
		helper_ui_text_clean_n(p, n, clean, sizeof(clean));
		w = snprintf(out + used, outlen - used, "%s%s%s", used > 0 ? "\n" : "", label, clean);
		if (w < 0 || (size_t)w >= outlen - used) {
			out[used] = '\0';
			break;
		}
		used += (size_t)w;
		p += n;
		if (*p == '\n')
			p++;
	}
	return out;
}

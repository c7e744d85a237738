/*
 * ui_words: who is asking and what they ask, in the customer's words. The
 * relay names a technician's tier as "L1", "L2" or "L3"; a customer does
 * not know those, so both UIs say "help desk", "technical support" or
 * "specialist" instead, and name a technician the way a person would:
 * "alice from Acme IT's help desk". Translated through gettext (i18n.h).
 */
#ifndef HANDOFF_HELPER_UI_WORDS_H
#define HANDOFF_HELPER_UI_WORDS_H

#include <stddef.h>

/*
 * The tier in words ("help desk" for L1, ...): a translated constant for
 * the three tiers, else tier cleaned (ui_text.h) into out. Returns one of
 * those; out (outlen > 0) is only written for an unknown tier.
 */
const char *helper_ui_words_tier(const char *tier, char *out, size_t outlen);
/*
 * "alice from Acme IT's help desk" (org may be NULL or empty: "alice from
 * the help desk"). name and tier come from the relay and are cleaned here;
 * org must be clean already. Writes out (outlen > 0) and returns it.
 */
const char *helper_ui_words_who(const char *name, const char *tier, const char *org, char *out,
				size_t outlen);

/*
 * What the relay's CTL_NOTICE of kind (enum ctl_notice_kind) says, as a
 * sentence for the customer: "Your request has been passed to the technical
 * support team. ...", "bob from Acme IT's technical support team is now
 * helping you." name, tier and org (NULL or empty for none) are cleaned
 * here. NULL for a kind this helper does not know (the caller shows the
 * relay's text, cleaned). Writes out (outlen > 0).
 */
const char *helper_ui_words_notice(unsigned kind, const char *name, const char *tier, const char *org, char *out,
				   size_t outlen);

/*
 * The self-help articles a relay sent before a ticket opens (code.h,
 * INTAKE_SELFHELP_NAME) as the customer reads them: each line cleaned
 * (ui_text.h), the relay's "Symptoms: " and "Fix: " at a line's start in
 * the customer's language, lines joined by '\n'. Writes out (outlen > 0),
 * cut at a line's end when it would not fit, and returns it.
 */
const char *helper_ui_words_selfhelp(const char *articles, char *out, size_t outlen);

#endif

/*
 * event: the kinds of a ticket's audit events, and the details whose text
 * one program writes and another reads back.
 *
 * A kind is stored as text: in the store's events table, inside every
 * signed chain body (chain.h) and in every export. The text is therefore the
 * identity an old database or a year-old export carries, and a kind is a
 * string constant here rather than an enum with a name table: an enum would
 * need converting at each of those boundaries, and a reader of an export
 * must still handle a kind it has no number for. One constant per kind keeps
 * a typo from becoming a new kind that nothing ever matches.
 *
 * Two details are parsed again after they are written (export_verify, the
 * relay's export and recordings commands, handoff-tech replay):
 *
 *   attachment-added  "#ID KIND NAME, N bytes, sha256 HEX"
 *   recording-closed  "PATH SHA256 SIZE STATE"   (SHA256 may be "unreadable")
 *
 * Their format and parse functions sit side by side in event.c, and the
 * format refuses what the parse would reject, so the relay cannot write a
 * detail that its own verifier later calls broken. Other details are prose
 * for people and are never parsed.
 */
#ifndef HANDOFF_EVENT_H
#define HANDOFF_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain.h"

/* A ticket's life. */
#define EVENT_CREATED "created"
#define EVENT_TICKET_OPENED_BY_CUSTOMER "ticket-opened-by-customer"
/* Beside created and ticket-opened-by-customer: "tier T, priority P, owner NAME|-: SUMMARY" (relay/ledger.h). */
#define EVENT_OPENED_AS "opened-as"
#define EVENT_NOTE "note"
#define EVENT_CHAT "chat"
#define EVENT_ESCALATED "escalated"
#define EVENT_TAKEN "taken"
#define EVENT_RESOLVED "resolved"
#define EVENT_ANSWERED "answered"
#define EVENT_ATTACHMENT_ADDED "attachment-added"
#define EVENT_OWNER_REMOVED "owner-removed"
/* Triage (relay/triage.h): "impact I, urgency U: P3 -> P1" (relay/ledger.h reads the priority back). */
#define EVENT_TRIAGED "triaged"
/* A handover checklist's field: "NAME: TEXT". */
#define EVENT_FIELD_SET "field-set"
/* An escalation past a checklist: "missing F1, F2: REASON", just before its escalated record. */
#define EVENT_ESCALATION_FORCED "escalation-forced"
/* SLA clocks (relay/sla.h): a pause while waiting for the customer, its end, a warning, a breach. */
#define EVENT_SLA_PAUSED "sla-paused"
#define EVENT_SLA_RESUMED "sla-resumed"
#define EVENT_SLA_WARNING "sla-warning"
#define EVENT_SLA_BREACH "sla-breach"
/* The knowledge base (relay/knowledge.c): on ticket 0 "#ID TIER: TITLE"; on a ticket "#ID" or "#ID TITLE; ...". */
#define EVENT_KB_ADDED "kb-added"
#define EVENT_KB_EDITED "kb-edited"
#define EVENT_KB_SUGGESTED "kb-suggested"
#define EVENT_RESOLVED_BY_KB "resolved-by-kb"
/* Self-help (relay/server.c): the public articles the customer read before opening the ticket, "#ID TITLE; ...: ...". */
#define EVENT_SELF_HELP_SHOWN "self-help-shown"
/* Review of a major incident (relay/review.c): "cause: TEXT" or "prevention: TEXT", one record per field set. */
#define EVENT_REVIEWED "reviewed"
/* A new ticket whose text matches a reviewed incident: "#N (P1): CAUSE" (relay/review.c). */
#define EVENT_RECURRENCE "recurrence"
/* A resolved ticket opened again, "REASON"; and a resolved ticket closed for good. */
#define EVENT_REOPENED "reopened"
#define EVENT_CLOSED "closed"

/* Support codes and the customer's connection. */
#define EVENT_CODE_ISSUED "code-issued"
#define EVENT_CODE_CANCELLED "code-cancelled"
#define EVENT_CODE_REFUSED "code-refused"
#define EVENT_CODE_BACKOFF "code-backoff"
#define EVENT_CODE_CAP "code-cap"
#define EVENT_CUSTOMER_CONNECTED "customer-connected"
#define EVENT_CUSTOMER_DISCONNECTED "customer-disconnected"
#define EVENT_SHARING_PAUSED "sharing-paused"
#define EVENT_SHARING_RESUMED "sharing-resumed"
#define EVENT_REMOTE_INPUT_IGNORED "remote-input-ignored"
/* Windows forbids the helper the screen or input (CTL_DESKTOP): the relay's words for the technicians; and all well again. */
#define EVENT_DESKTOP_REFUSED "desktop-refused"
#define EVENT_DESKTOP_BACK "desktop-back"
#define EVENT_CUSTOMER_EVENTS_DROPPED "customer-events-dropped"

/* A technician's viewer and the customer's consent. */
#define EVENT_CONSENT_ASKED "consent-asked"
#define EVENT_CONSENT_GRANTED "consent-granted"
#define EVENT_CONSENT_DENIED "consent-denied"
#define EVENT_CONSENT_REVOKED "consent-revoked"
#define EVENT_TECHNICIAN_JOINED "technician-joined"
#define EVENT_TECHNICIAN_LEFT "technician-left"

/* Recordings. */
#define EVENT_RECORDING_STARTED "recording-started"
#define EVENT_RECORDING_CLOSED "recording-closed"
#define EVENT_RECORDING_FAILED "recording-failed"

/* Log collection. */
#define EVENT_LOGS_REQUESTED "logs-requested"
#define EVENT_LOGS_REFUSED "logs-refused"
#define EVENT_LOGS_UNAVAILABLE "logs-unavailable"

/* The relay's own ticket 0: intake and accounts. */
#define EVENT_INTAKE_LIMITED "intake-limited"
#define EVENT_INTAKE_REVOKED "intake-revoked"
#define EVENT_USER_DISABLED "user-disabled"
#define EVENT_USER_ENABLED "user-enabled"
#define EVENT_USER_REMOVED "user-removed"
/* Webhooks (relay/webhook.h), on ticket 0: "RECEIVER: WHY" when a receiver starts failing, "RECEIVER" when it recovers. */
#define EVENT_WEBHOOK_FAILING "webhook-failing"
#define EVENT_WEBHOOK_RECOVERED "webhook-recovered"
/* A relay's audit key enters the key set (detail "HEX NAME", store.h relay_keys). */
#define EVENT_RELAY_KEY_ADDED "relay-key-added"
/* It leaves the key set (detail "HEX"): checkpoints from this seq on under it fail verify. */
#define EVENT_RELAY_KEY_RETIRED "relay-key-retired"

/* Every kind above, NULL-terminated: what a setting naming kinds (webhook_events) may name. */
extern const char *const event_kinds[];
/* 1 when kind is one of event_kinds. */
int event_kind_known(const char *kind, size_t len);

/* The longest attachment kind, attachment name or recording path a detail may name. */
#define EVENT_NAME_MAX 256u

/* What an attachment-added event says about its attachment. */
struct event_attachment {
	int64_t id;
	char kind[EVENT_NAME_MAX + 1];
	char name[EVENT_NAME_MAX + 1];
	uint64_t size;
	uint8_t sha256[CHAIN_HASH_LEN];
};

/* What a recording-closed event says about its file. */
struct event_recording {
	char path[EVENT_NAME_MAX + 1];
	bool hashed;            /* false when the relay could not read the file ("unreadable") */
	uint8_t sha256[CHAIN_HASH_LEN];
	uint64_t size;
	char state[16];         /* complete, truncated or failed */
};

/*
 * Writes the attachment-added detail into out[0..outlen). 0, or a negative
 * BUF_ERR_* when a field is one event_attachment_parse would refuse (id <= 0,
 * an empty or too long kind or name, a kind with a space) or out is too
 * small; out is then "".
 */
int event_attachment_format(char *out, size_t outlen, int64_t id, const char *kind, const char *name,
			    uint64_t size, const uint8_t sha256[CHAIN_HASH_LEN]);
/* Parses an attachment-added detail. 0, or a negative BUF_ERR_* with *out zeroed. */
int event_attachment_parse(const char *detail, struct event_attachment *out);

/*
 * Writes the recording-closed detail; sha256 NULL writes "unreadable". 0, or
 * a negative BUF_ERR_* when path fails event_recording_path_ok, state is not
 * complete, truncated or failed, or out is too small; out is then "".
 */
int event_recording_format(char *out, size_t outlen, const char *path, const uint8_t *sha256, uint64_t size,
			   const char *state);
/* Parses a recording-closed detail. 0, or a negative BUF_ERR_* with *out zeroed. */
int event_recording_parse(const char *detail, struct event_recording *out);
/*
 * 1 when path may name a recording in the relay home: relative, under
 * recordings/, only [A-Za-z0-9._-] and single slashes, no "." or ".."
 * component. Anything that reaches the disk from a detail passes this first.
 */
int event_recording_path_ok(const char *path);

#endif

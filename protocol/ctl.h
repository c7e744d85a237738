/*
 * ctl: the live control records exchanged between the relay and the
 * customer's helper in the "handoff-control" subsystem channel.
 *
 * On the wire a record is: u32 length (of what follows, at most
 * CTL_RECORD_MAX), u8 type, then the type's fields in buf encoding. The same
 * encoder and decoder serve all programs, and the decoder is fuzzed.
 *
 * Consent is decided on the customer's machine: the relay asks
 * (CTL_CONSENT_ASK naming the technician and the capabilities), the helper
 * answers (CTL_CONSENT_REPLY with the capabilities granted, 0 for a refusal),
 * and the helper accepts a forwarded-tcpip channel only when its originator
 * port carries the viewer id of a granted request. A later CONSENT_REPLY for
 * the same viewer with fewer capabilities revokes. A later CONSENT_ASK for
 * a viewer already granted asks for more (control after view only): the
 * stream goes on, and the helper's CONSENT_REPLY says what the customer
 * allows now (view only again when they say no).
 */
#ifndef HANDOFF_CTL_H
#define HANDOFF_CTL_H

#include <stdint.h>

#include "buf.h"

#define CTL_SUBSYSTEM "handoff-control"
#define CTL_RECORD_MAX 65536u
#define CTL_TEXT_MAX 4096u
#define CTL_NAME_MAX 128u

enum ctl_type {
	CTL_HELLO = 1,          /* relay -> helper: ticket, text = summary */
	CTL_CONSENT_ASK = 2,    /* relay -> helper: viewer_id, ticket, name, tier, caps */
	CTL_CONSENT_REPLY = 3,  /* helper -> relay: viewer_id, caps granted */
	CTL_VIEWER_LEFT = 4,    /* relay -> helper: viewer_id */
	CTL_STATUS = 5,         /* either way: text for the other side's user */
	CTL_CHAT = 6,           /* either way: name (author), tier (role), text */
	CTL_LOGS_ASK = 7,       /* relay -> helper: viewer_id = request id, ticket, name, tier, text = sources */
	CTL_LOGS_DATA = 8,      /* helper -> relay: viewer_id = request id, flags, text = a chunk */
	CTL_SHARING = 9,        /* helper -> relay: flags = enum ctl_sharing_flag */
	CTL_END = 10,           /* relay -> helper: flags = enum ctl_end_reason, text = the relay's words */
	CTL_NOTICE = 11,        /* relay -> helper: flags = enum ctl_notice_kind, name, tier, text = English words */
	CTL_INPUT_IGNORED = 12, /* helper -> relay: viewer_id, count */
	CTL_ANSWERED = 13,      /* helper -> relay: viewer_id (or logs request id), flags, caps, text = UI */
	/*
	 * Either way. helper -> relay, text empty: "give me a resume token";
	 * relay -> helper: text = the token (code.h). Only a helper asks, so a
	 * helper older than this record never receives one.
	 */
	CTL_RESUME = 14,
	CTL_DESKTOP = 15,       /* helper -> relay: flags = enum ctl_desktop_flag, 0 when all is well again */
};

/*
 * CTL_NOTICE: something happened to the customer's request that the helper
 * words itself, in the customer's language and without the desk's jargon
 * (a tier code, "ticket"): the kind and who (name, tier) travel, not a
 * sentence. text is the relay's English, for logs and for a UI that knows
 * no better. CTL_STATUS stays for free text.
 */
enum ctl_notice_kind {
	CTL_NOTICE_ESCALATED = 0,   /* passed on to tier (name empty): the session stays */
	CTL_NOTICE_TAKEN = 1,       /* name of tier now handles the request */
};

/*
 * CTL_END: the relay ends the customer's session and says why, as a number
 * the helper words in the customer's language (the text is English, for
 * logs). The relay closes the connection soon after; the helper need not
 * wait for that.
 */
enum ctl_end_reason {
	CTL_END_RESOLVED = 0,   /* the technician resolved the ticket */
};

/*
 * CTL_INPUT_IGNORED: count presses (clicks, keys) that controlling viewer
 * viewer_id injected and that landed on the helper's own window, where
 * they were dropped: only the customer may answer, chat or press its
 * buttons. Coalesced by the helper (at most one a second per viewer).
 */
#define CTL_IGNORED_MAX 1000000u

/*
 * CTL_ANSWERED: the customer answered a question at the machine, in the UI
 * named by text ("window" or "terminal"); sent just before the CONSENT_REPLY
 * or LOGS_DATA it explains. flags says which question; caps what was
 * granted (CONSENT: the capabilities, 0 for a refusal; LOGS: CTL_CAP_LOGS
 * when allowed, 0 when refused). DESKTOP: the desktop's own dialog (the
 * screen-sharing portal's, GNOME's and KDE's) refused to share the screen,
 * asked after the customer's yes to viewer_id in the helper: a deny of that
 * technician (viewer_id 0 from helpers that asked at sign-in, before any
 * technician, or when the one allowed is gone); caps 0, text "desktop";
 * a CONSENT_REPLY of 0 for that viewer follows, and the helper then ends.
 * Sent only for a refusal, so a relay that does not know the flag (and
 * would take it for a broken stream) loses a session that is ending anyway.
 */
enum ctl_answered_flag {
	CTL_ANSWERED_CONSENT = 0,
	CTL_ANSWERED_LOGS = 1,
	CTL_ANSWERED_DESKTOP = 2,
};
#define CTL_UI_NAME_MAX 16u

/*
 * CTL_DESKTOP: what Windows forbids the helper, an unprivileged process,
 * right now, as a set of flags; sent once per change, 0 when the normal
 * desktop is back. SECURE: the input desktop is not the helper's (the UAC
 * prompt's secure desktop, the lock screen): nothing can be seen or
 * controlled there, and the viewers keep the last picture. INPUT: Windows
 * refused the injected input (an elevated window in front: UIPI). CAPTURE:
 * the screen could not be read (BitBlt failed). The relay words it for the
 * technicians itself; no text travels. A relay older than this record
 * closes the control channel on it, as on any type it does not know.
 */
enum ctl_desktop_flag {
	CTL_DESKTOP_SECURE = 1u << 0,
	CTL_DESKTOP_INPUT = 1u << 1,
	CTL_DESKTOP_CAPTURE = 1u << 2,
};
#define CTL_DESKTOP_ALL (CTL_DESKTOP_SECURE | CTL_DESKTOP_INPUT | CTL_DESKTOP_CAPTURE)

/*
 * CTL_SHARING flags: the customer paused or resumed sharing. Pausing keeps
 * every grant and stream (resuming needs no new consent); the helper itself
 * stops sending pixels and applying input, the relay only records it.
 * ENDED comes last from a helper whose customer ended the session, before
 * its streams close, so that the relay can tell the technicians so rather
 * than "the stream closed".
 */
enum ctl_sharing_flag {
	CTL_SHARING_RESUMED = 0,
	CTL_SHARING_PAUSED = 1,
	CTL_SHARING_ENDED = 2,
};

/*
 * CTL_LOGS_DATA flags. A bundle is sent as chunks of at most CTL_TEXT_MAX
 * bytes of UTF-8 text, the last one flagged DONE; a customer who says no
 * answers with one empty REFUSED record.
 */
enum ctl_logs_flag {
	CTL_LOGS_MORE = 0,
	CTL_LOGS_DONE = 1,
	CTL_LOGS_REFUSED = 2,
};

/*
 * CTL_LOGS_ASK sources: one per line of text, "facts" (OS, kernel, uptime,
 * disk, memory), "file PATH LINES" (the last LINES lines of a file) or
 * "journal LINES" (the last LINES lines of the systemd journal).
 */

enum ctl_cap {
	CTL_CAP_VIEW = 1u << 0,
	CTL_CAP_CONTROL = 1u << 1,
	CTL_CAP_LOGS = 1u << 2,
};
#define CTL_CAP_ALL (CTL_CAP_VIEW | CTL_CAP_CONTROL | CTL_CAP_LOGS)

struct ctl_record {
	uint8_t type;
	uint32_t viewer_id;
	uint32_t ticket;
	uint8_t caps;
	uint8_t flags;  /* LOGS_DATA: enum ctl_logs_flag; SHARING: enum ctl_sharing_flag; END: ctl_end_reason;
			 * NOTICE: ctl_notice_kind; ANSWERED: ctl_answered_flag;
			 * DESKTOP: ctl_desktop_flag */
	uint32_t count; /* INPUT_IGNORED: presses dropped, 1..CTL_IGNORED_MAX */
	char *name;   /* technician's name (CONSENT_ASK, CHAT author, LOGS_ASK, NOTICE) */
	char *tier;   /* "L1".."L3", or "customer" as a CHAT author's role */
	char *text;   /* HELLO summary, STATUS and CHAT text, LOGS sources or chunk, END's words, ANSWERED UI */
};

/* Appends one encoded record to out. Strings that are NULL encode as "". */
int ctl_encode(struct buf *out, const struct ctl_record *r);
/*
 * Takes one whole record from the front of in. Returns 1 and fills *r (the
 * caller frees with ctl_record_free) when a record was complete, 0 when more
 * bytes are needed (in is untouched), or a negative BUF_ERR_* when the bytes
 * can never form a valid record: the caller must then close the channel.
 */
int ctl_decode(struct buf *in, struct ctl_record *r);
void ctl_record_free(struct ctl_record *r);
const char *ctl_type_name(uint8_t type);

#endif

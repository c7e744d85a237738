/*
 * ui_sdl.c: the customer's window (see ui.h), SDL2 with SDL2_ttf and a
 * font that covers Japanese.
 *
 * One fixed layout, top to bottom: a header (the organisation, the
 * connection state), the banner (who watches at what level, red while
 * anyone does), the question card (code entry, a consent request with
 * Allow / View only / Deny, a logs request, the end), the chat pane with
 * its entry line and Send, and a footer with Stop sharing, Pause sharing
 * (Resume sharing while paused; the banner then turns amber and names who
 * stays connected) and End session. A logs request offers "Show what will
 * be sent": the exact bundle then takes the place of the card and the chat
 * pane, scrollable, with Send it / Don't send / Back to the question. The
 * ended screen keeps the chat pane (without its entry line) so that the
 * conversation stays readable until Close.
 * The layout never moves, so that a frightened customer always finds the
 * same buttons in the same place, and so that tests can click them: with
 * HANDOFF_UI_TRACE=1 the window prints each button's rectangle once and a
 * line for each state it has drawn (both in window coordinates).
 *
 * How SDL fits the helper's single poll loop. SDL's X11 driver reads its
 * events from one Xlib connection, whose descriptor we hand to the loop
 * (fd()); the session wakes when the X server writes to it, and next()
 * drains SDL's queue with SDL_PollEvent. Xlib may also read events into
 * its own queue while we draw (a round trip for XPutImage); those would
 * not make the descriptor readable again, so pending() pumps SDL and
 * reports queued events and a window that needs drawing, and the loop
 * does not sleep while it is true. No thread and no timer: an idle window
 * costs nothing, which matters for a helper that must not load the
 * customer's machine. (A second thread would have to own SDL's video,
 * which X11 wants on one thread, and would need a pipe back to the loop
 * for every click: more moving parts for the same result.)
 *
 * Only the customer acts on this window. Input a controlling viewer
 * injects lands here like any other (the technician sees the window on
 * the shared screen), so SDL_SYSWMEVENT is on: SDL queues each X event
 * before the SDL events it makes from it, and for every press we ask
 * origin.h whether the helper injected it. If so, what SDL made of it
 * (the button or key down, its text) is dropped, up to the next X input
 * event, and an input method's composition is reset, since SDL handed the
 * key to IBus or Fcitx before queueing anything (docs/internals.md).
 *
 * Input methods: text arrives as SDL_TEXTINPUT (committed UTF-8) and the
 * composition in progress as SDL_TEXTEDITING, drawn underlined after the
 * entry text; Enter and Backspace go to the input method while it
 * composes. Strings from the relay are cleaned (ui_text.h) before they are
 * drawn.
 */
#include "ui.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <SDL.h>
#include <SDL_syswm.h>
#include <SDL_ttf.h>

#include "code.h"
#include "i18n.h"
#include "log.h"
#include "origin.h"
#include "platform.h"
#include "ui_sdl_sys.h"
#include "ui_text.h"
#include "ui_words.h"
#include "utf8.h"

#define SDL_UI_W 760
#define SDL_UI_H 560
#define SDL_UI_PAD 16
#define SDL_UI_TEXT_MAX 4608        /* more than any string a control record carries */
#define SDL_UI_CHAT_LINES 200       /* display lines kept in the chat pane */
#define SDL_UI_CHAT_LINE_MAX 512
#define SDL_UI_ENTRY_MAX 2048       /* bytes the customer can type into one chat line */
#define SDL_UI_CODE_MAX 24
#define SDL_UI_EDIT_MAX 256         /* an input method's composition in progress */
#define SDL_UI_QUEUE 16
#define SDL_UI_WATCH_MAX 8
#define SDL_UI_PREVIEW_LINES 100000  /* display lines of a log preview (1 MiB wraps to fewer) */

enum sdl_ui_screen {
	SDL_UI_SCREEN_START,
	SDL_UI_SCREEN_CODE,
	SDL_UI_SCREEN_CONNECTING,
	SDL_UI_SCREEN_MAIN,
	SDL_UI_SCREEN_ENDED,
	SDL_UI_SCREEN_INTAKE,   /* no code: a description opens a new ticket */
	SDL_UI_SCREEN_SELFHELP, /* before that ticket: articles that may solve the problem */
};

enum sdl_ui_button {
	SDL_UI_BTN_CONNECT,
	SDL_UI_BTN_ALLOW,
	SDL_UI_BTN_VIEW,
	SDL_UI_BTN_DENY,
	SDL_UI_BTN_SEND,
	SDL_UI_BTN_STOP,
	SDL_UI_BTN_PAUSE,
	SDL_UI_BTN_END,
	SDL_UI_BTN_CLOSE,
	SDL_UI_BTN_NOCODE,
	SDL_UI_BTN_OPEN,
	SDL_UI_BTN_BACK,
	SDL_UI_BTN_SHOW,        /* a logs question: show what will be sent */
	SDL_UI_BTN_SEND_LOGS,   /* the preview: send it */
	SDL_UI_BTN_KEEP_LOGS,   /* the preview: do not send */
	SDL_UI_BTN_HIDE,        /* the preview: back to the question */
	SDL_UI_BTN_SOLVED,      /* self-help: the articles solved it */
	SDL_UI_BTN_TICKET,      /* self-help: they did not; open the ticket */
	SDL_UI_BTN_COUNT,
};

/* Fixed rectangles, in window coordinates; names are what the trace prints. */
static const struct {
	const char *name;
	SDL_Rect r;
} sdl_ui_buttons[SDL_UI_BTN_COUNT] = {
	[SDL_UI_BTN_CONNECT] = { "connect", { 476, 170, 200, 44 } },
	[SDL_UI_BTN_ALLOW] = { "allow", { 40, 228, 200, 40 } },
	[SDL_UI_BTN_VIEW] = { "view", { 280, 228, 200, 40 } },
	[SDL_UI_BTN_DENY] = { "deny", { 520, 228, 200, 40 } },
	[SDL_UI_BTN_SEND] = { "send", { 626, 472, 118, 36 } },
	[SDL_UI_BTN_STOP] = { "stop", { 16, 518, 260, 34 } },
	[SDL_UI_BTN_PAUSE] = { "pause", { 288, 518, 184, 34 } },
	[SDL_UI_BTN_END] = { "end", { 484, 518, 260, 34 } },
	[SDL_UI_BTN_CLOSE] = { "close", { 40, 228, 200, 40 } },
	[SDL_UI_BTN_NOCODE] = { "nocode", { 40, 300, 460, 40 } },
	[SDL_UI_BTN_OPEN] = { "open", { 476, 330, 244, 44 } },
	[SDL_UI_BTN_BACK] = { "back", { 40, 330, 300, 44 } },
	[SDL_UI_BTN_SOLVED] = { "solved", { 40, 490, 280, 44 } },
	[SDL_UI_BTN_TICKET] = { "ticket", { 340, 490, 380, 44 } },
	[SDL_UI_BTN_SHOW] = { "show", { 280, 228, 200, 40 } },
	[SDL_UI_BTN_SEND_LOGS] = { "sendlogs", { 16, 472, 230, 36 } },
	[SDL_UI_BTN_KEEP_LOGS] = { "keeplogs", { 258, 472, 230, 36 } },
	[SDL_UI_BTN_HIDE] = { "hide", { 500, 472, 244, 36 } },
};

static const SDL_Rect sdl_ui_code_field = { 40, 170, 420, 44 };
static const SDL_Rect sdl_ui_describe_field = { 40, 170, 680, 44 };
static const SDL_Rect sdl_ui_name_field = { 40, 270, 420, 44 };
static const SDL_Rect sdl_ui_chat_pane = { 16, 284, 728, 180 };
static const SDL_Rect sdl_ui_entry_field = { 16, 472, 600, 36 };
static const SDL_Rect sdl_ui_preview_pane = { 16, 144, 728, 320 };

struct sdl_ui_watcher {
	uint32_t id;
	char name[128];
	char tier[32];
	bool control;
};

struct sdl_ui_chat_line {
	char text[SDL_UI_CHAT_LINE_MAX];
	int kind;   /* 0 technician, 1 the customer, 2 a notice from the helper */
};

struct helper_ui_sdl {
	SDL_Window *win;
	SDL_Renderer *ren;
	TTF_Font *font;
	TTF_Font *big;
	int sys_fd;         /* ui_sdl_sys.h's descriptor for the window's events, or -1 */
	bool trace;
	bool dirty;
	char last_trace[320];
	char last_problem[512];
	char last_labels[320];

	enum sdl_ui_screen screen;
	char org[256];
	char state[256];        /* connection state, top right */

	enum helper_ui_question question;
	uint32_t question_viewer;
	bool question_control;
	bool question_upgrade;  /* already viewing, asks for control only (ui.h) */
	char question_text[2 * SDL_UI_TEXT_MAX];
	char problem[512];      /* the code entry's complaint, or the end's reason */

	struct sdl_ui_watcher watch[SDL_UI_WATCH_MAX];
	size_t n_watch;
	bool paused;            /* the customer paused sharing */

	struct sdl_ui_chat_line *chat;  /* ring of SDL_UI_CHAT_LINES */
	size_t chat_first, chat_n, chat_total;
	size_t chat_back;       /* lines scrolled back from the newest */

	/*
	 * A log preview: a display copy of the exact bundle (tabs as spaces,
	 * cleaned when drawn), cut into lines that fit the pane.
	 */
	bool previewing;
	char *preview;          /* owned */
	size_t preview_bytes;   /* the bundle's size, as it will be sent */
	size_t *preview_line;   /* owned: offset of each display line in preview */
	size_t preview_n, preview_top;

	char code[SDL_UI_CODE_MAX];
	char entry[SDL_UI_ENTRY_MAX];
	char edit[SDL_UI_EDIT_MAX];

	enum helper_ui_choice queue[SDL_UI_QUEUE];
	size_t q_head, q_n;
	char lines[4][SDL_UI_ENTRY_MAX];  /* chat lines waiting for next() */
	size_t l_head, l_n;
	bool submitted;         /* code entry: Connect clicked or Enter */
	bool intake;            /* the helper has an intake token: offer "no code" */
	bool nocode;            /* code entry: the customer chose to describe the problem */
	bool back;              /* intake: the customer found a code after all */
	bool intake_on_name;    /* intake: the name field has the keyboard, not the description */
	const char *selfhelp;   /* self-help: the articles' text, borrowed while asked; NULL otherwise */
	int selfhelp_choice;    /* self-help: -1 until a button is clicked, then 0 solved, 1 a ticket */
	char describe[INTAKE_DESC_MAX * 4 + 1];
	char name[INTAKE_NAME_MAX * 4 + 1];
	bool quit;              /* the window was closed */
	struct helper_origin *origin;   /* borrowed; NULL: nothing injects */
	bool remote;            /* SDL events made from an injected press are being dropped */
};

static const SDL_Color sdl_ui_ink = { 0x20, 0x20, 0x20, 0xff };
static const SDL_Color sdl_ui_white = { 0xff, 0xff, 0xff, 0xff };
static const SDL_Color sdl_ui_grey = { 0x70, 0x70, 0x70, 0xff };
static const SDL_Color sdl_ui_blue = { 0x1a, 0x4f, 0x8a, 0xff };
static const SDL_Color sdl_ui_red = { 0xb0, 0x1e, 0x1e, 0xff };
static const SDL_Color sdl_ui_amber = { 0x9a, 0x5b, 0x00, 0xff };

/* --- fonts ---------------------------------------------------------------- */

/*
 * A font that covers Japanese: HANDOFF_FONT, the one shipped beside the
 * program (the one-file bundle), then Debian's IPAGothic and Noto CJK.
 */
/* What sdl_ui_font names the font inside the program (platform.h), which has no path. */
#define SDL_UI_BUILT_IN_FONT "(the font inside the program)"

/* A font sdl_ui_font found, at another size. */
static TTF_Font *sdl_ui_font_open(const char *path, int size)
{
	const void *data;
	size_t len;
	SDL_RWops *rw;

	if (strcmp(path, SDL_UI_BUILT_IN_FONT) != 0)
		return TTF_OpenFont(path, size);
	if (helper_platform_font_data(&data, &len) != 0 || len > INT_MAX ||
	    (rw = SDL_RWFromConstMem(data, (int)len)) == NULL)
		return NULL;
	return TTF_OpenFontRW(rw, 1, size);
}

static TTF_Font *sdl_ui_font(int size, char *path_out, size_t path_len)
{
	size_t n_fonts;
	const char *const *system_fonts = helper_platform_fonts(&n_fonts);
	char exe[PATH_MAX], beside[PATH_MAX + 32];
	const char *env = getenv("HANDOFF_FONT");
	TTF_Font *f;

	if (env != NULL && env[0] != '\0' && (f = TTF_OpenFont(env, size)) != NULL) {
		snprintf(path_out, path_len, "%s", env);
		return f;
	}
	if (helper_platform_exe_dir(exe, sizeof(exe)) == 0) {
		snprintf(beside, sizeof(beside), "%s/../share/handoff/font.ttf", exe);
		if ((f = TTF_OpenFont(beside, size)) != NULL) {
			snprintf(path_out, path_len, "%s", beside);
			return f;
		}
	}
	for (size_t i = 0; i < n_fonts; i++) {
		if ((f = TTF_OpenFont(system_fonts[i], size)) != NULL) {
			snprintf(path_out, path_len, "%s", system_fonts[i]);
			return f;
		}
	}
	if ((f = sdl_ui_font_open(SDL_UI_BUILT_IN_FONT, size)) != NULL)
		snprintf(path_out, path_len, "%s", SDL_UI_BUILT_IN_FONT);
	return f;
}

/* --- drawing -------------------------------------------------------------- */

static void sdl_ui_append(char *dst, size_t dstlen, const char *add);

static void sdl_ui_fill(struct helper_ui_sdl *u, const SDL_Rect *r, SDL_Color c)
{
	SDL_SetRenderDrawColor(u->ren, c.r, c.g, c.b, c.a);
	SDL_RenderFillRect(u->ren, r);
}

static void sdl_ui_frame(struct helper_ui_sdl *u, const SDL_Rect *r, SDL_Color c)
{
	SDL_SetRenderDrawColor(u->ren, c.r, c.g, c.b, c.a);
	SDL_RenderDrawRect(u->ren, r);
}

/* Draws one line of UTF-8; returns its width (0 for empty text or on error). */
static int sdl_ui_text(struct helper_ui_sdl *u, TTF_Font *f, int x, int y, SDL_Color c, const char *s)
{
	SDL_Surface *surf;
	SDL_Texture *tex;
	SDL_Rect dst;

	if (s == NULL || s[0] == '\0')
		return 0;
	surf = TTF_RenderUTF8_Blended(f, s, c);
	if (surf == NULL)
		return 0;
	tex = SDL_CreateTextureFromSurface(u->ren, surf);
	dst = (SDL_Rect){ x, y, surf->w, surf->h };
	SDL_FreeSurface(surf);
	if (tex == NULL)
		return 0;
	SDL_RenderCopy(u->ren, tex, NULL, &dst);
	SDL_DestroyTexture(tex);
	return dst.w;
}

static int sdl_ui_width(TTF_Font *f, const char *s)
{
	int w = 0, h = 0;

	if (s == NULL || s[0] == '\0' || TTF_SizeUTF8(f, s, &w, &h) != 0)
		return 0;
	return w;
}

/* Byte length of the first count UTF-8 characters of s. */
static size_t sdl_ui_chars_to_bytes(const char *s, int count)
{
	return count > 0 ? utf8_skip(s, strlen(s), (size_t)count) : 0;
}

/* True when s starts with a full-width mark that must not begin a line (、。）」』：！？). */
static bool sdl_ui_no_line_start(const char *s)
{
	static const char *const marks[] = { "\u3001", "\u3002", "\uff09", "\u300d", "\u300f",
					     "\uff1a", "\uff01", "\uff1f", "\uff0c" };

	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (strncmp(s, marks[i], 3) == 0)
			return true;
	return false;
}

/*
 * The length of the first line of s that fits width: at the last space
 * that fits if there is one (Latin text), else at any character (Japanese
 * has no spaces between words). At least one character, so wrapping ends.
 */
static size_t sdl_ui_fit(TTF_Font *f, const char *s, int width)
{
	int extent = 0, count = 0;
	size_t n, nl;

	nl = strcspn(s, "\n");
	if (TTF_MeasureUTF8(f, s, width, &extent, &count) != 0)
		return nl;
	n = sdl_ui_chars_to_bytes(s, count);
	if (nl <= n)
		return nl;
	if (n == 0)
		return sdl_ui_chars_to_bytes(s, 1);
	for (size_t i = n; i > n / 2; i--)
		if (s[i] == ' ')
			return i;
	/* Japanese never starts a line with closing punctuation: it stays on this line. */
	if (sdl_ui_no_line_start(s + n))
		n += 3;
	return n;
}

/* Calls out(line) for each wrapped line of s; stops after max lines. Returns lines. */
static int sdl_ui_wrap(TTF_Font *f, const char *s, int width, int max,
		       void (*out)(void *ctx, const char *line), void *ctx)
{
	char line[SDL_UI_CHAT_LINE_MAX];
	int lines = 0;

	while (*s != '\0' && lines < max) {
		size_t n = sdl_ui_fit(f, s, width);

		if (n >= sizeof(line))
			n = utf8_whole(s, sizeof(line) - 1);
		memcpy(line, s, n);
		line[n] = '\0';
		out(ctx, line);
		lines++;
		s += n;
		while (*s == ' ' || *s == '\n')
			s++;
	}
	return lines;
}

struct sdl_ui_para {
	struct helper_ui_sdl *u;
	int x, y;
	SDL_Color c;
};

static void sdl_ui_para_line(void *ctx, const char *line)
{
	struct sdl_ui_para *p = ctx;

	sdl_ui_text(p->u, p->u->font, p->x, p->y, p->c, line);
	p->y += TTF_FontLineSkip(p->u->font);
}

/* Draws s wrapped into width from (x, y), at most max lines; returns the next y. */
static int sdl_ui_paragraph(struct helper_ui_sdl *u, int x, int y, int width, int max, SDL_Color c,
			    const char *s)
{
	struct sdl_ui_para p = { u, x, y, c };

	sdl_ui_wrap(u->font, s, width, max, sdl_ui_para_line, &p);
	return p.y;
}

static const char *sdl_ui_button_label(const struct helper_ui_sdl *u, enum sdl_ui_button b, bool control)
{
	switch (b) {
	case SDL_UI_BTN_CONNECT: return _("Connect");
	case SDL_UI_BTN_ALLOW:
		if (u->question_upgrade)
			return _("Allow control");
		return control ? _("Allow view and control") : _("Allow");
	case SDL_UI_BTN_VIEW: return u->question_upgrade ? _("Keep view only") : _("View only");
	case SDL_UI_BTN_DENY: return _("Deny");
	case SDL_UI_BTN_SEND: return _("Send");
	case SDL_UI_BTN_STOP: return _("Stop sharing");
	case SDL_UI_BTN_PAUSE: return u->paused ? _("Resume sharing") : _("Pause sharing");
	case SDL_UI_BTN_END: return _("End session");
	case SDL_UI_BTN_CLOSE: return _("Close");
	case SDL_UI_BTN_NOCODE: return _("I have no code: describe the problem");
	case SDL_UI_BTN_OPEN: return _("Ask for help");
	case SDL_UI_BTN_BACK: return _("Back: I have a code");
	case SDL_UI_BTN_SHOW: return _("Show what will be sent");
	case SDL_UI_BTN_SEND_LOGS: return _("Send it");
	case SDL_UI_BTN_KEEP_LOGS: return _("Don't send");
	case SDL_UI_BTN_HIDE: return _("Back to the question");
	case SDL_UI_BTN_SOLVED: return _("This solved my problem");
	case SDL_UI_BTN_TICKET: return _("This did not help: ask for help");
	case SDL_UI_BTN_COUNT: break;
	}
	return "";
}

/* Which buttons can be clicked now: the same answer for drawing and for clicks. */
static bool sdl_ui_visible(const struct helper_ui_sdl *u, enum sdl_ui_button b)
{
	switch (b) {
	case SDL_UI_BTN_CONNECT:
		return u->screen == SDL_UI_SCREEN_CODE;
	case SDL_UI_BTN_ALLOW:
		return u->screen == SDL_UI_SCREEN_MAIN && u->question != HELPER_UI_ASKING_NOTHING &&
		       !u->previewing;
	case SDL_UI_BTN_DENY:
		/* A no to control keeps the view: "Keep view only" says it, a Deny would not. */
		return u->screen == SDL_UI_SCREEN_MAIN && u->question != HELPER_UI_ASKING_NOTHING &&
		       !u->previewing && !(u->question == HELPER_UI_ASKING_CONSENT && u->question_upgrade);
	case SDL_UI_BTN_VIEW:
		return u->screen == SDL_UI_SCREEN_MAIN && u->question == HELPER_UI_ASKING_CONSENT &&
		       u->question_control;
	case SDL_UI_BTN_SHOW:
		return u->screen == SDL_UI_SCREEN_MAIN && u->question == HELPER_UI_ASKING_LOGS && !u->previewing;
	case SDL_UI_BTN_SEND_LOGS:
	case SDL_UI_BTN_KEEP_LOGS:
	case SDL_UI_BTN_HIDE:
		return u->screen == SDL_UI_SCREEN_MAIN && u->question == HELPER_UI_ASKING_LOGS && u->previewing;
	case SDL_UI_BTN_SEND:
		return u->screen == SDL_UI_SCREEN_MAIN && !u->previewing;
	case SDL_UI_BTN_STOP:
	case SDL_UI_BTN_PAUSE:
	case SDL_UI_BTN_END:
		return u->screen == SDL_UI_SCREEN_MAIN;
	case SDL_UI_BTN_CLOSE:
		return u->screen == SDL_UI_SCREEN_ENDED;
	case SDL_UI_BTN_NOCODE:
		return u->screen == SDL_UI_SCREEN_CODE && u->intake;
	case SDL_UI_BTN_OPEN:
	case SDL_UI_BTN_BACK:
		return u->screen == SDL_UI_SCREEN_INTAKE;
	case SDL_UI_BTN_SOLVED:
	case SDL_UI_BTN_TICKET:
		return u->screen == SDL_UI_SCREEN_SELFHELP;
	case SDL_UI_BTN_COUNT:
		break;
	}
	return false;
}

static void sdl_ui_draw_button(struct helper_ui_sdl *u, enum sdl_ui_button b)
{
	const SDL_Rect *r = &sdl_ui_buttons[b].r;
	const char *label = sdl_ui_button_label(u, b, u->question_control);
	SDL_Color bg = sdl_ui_blue;
	int w = sdl_ui_width(u->font, label);

	if (b == SDL_UI_BTN_DENY || b == SDL_UI_BTN_END || b == SDL_UI_BTN_KEEP_LOGS)
		bg = sdl_ui_red;
	else if (b == SDL_UI_BTN_VIEW || b == SDL_UI_BTN_STOP || b == SDL_UI_BTN_SHOW || b == SDL_UI_BTN_HIDE)
		bg = (SDL_Color){ 0x4a, 0x4a, 0x4a, 0xff };
	else if (b == SDL_UI_BTN_PAUSE && u->paused)
		bg = sdl_ui_amber;
	sdl_ui_fill(u, r, bg);
	sdl_ui_text(u, u->font, r->x + (r->w - w) / 2,
		    r->y + (r->h - TTF_FontHeight(u->font)) / 2, sdl_ui_white, label);
}

/* A field without the keyboard: its text only (the end of it when long). */
static void sdl_ui_draw_field_idle(struct helper_ui_sdl *u, const SDL_Rect *r, const char *text)
{
	const char *shown = text;

	sdl_ui_fill(u, r, sdl_ui_white);
	sdl_ui_frame(u, r, sdl_ui_grey);
	while (shown[0] != '\0' && sdl_ui_width(u->font, shown) > r->w - 16) {
		shown += utf8_skip(shown, strlen(shown), 1);
	}
	sdl_ui_text(u, u->font, r->x + 8, r->y + (r->h - TTF_FontHeight(u->font)) / 2, sdl_ui_ink, shown);
}

/* An entry field: text, then the input method's composition underlined, then a caret. */
static void sdl_ui_draw_field(struct helper_ui_sdl *u, const SDL_Rect *r, const char *text)
{
	int ty = r->y + (r->h - TTF_FontHeight(u->font)) / 2;
	int x = r->x + 8;
	const char *shown = text;
	int room = r->w - 16 - sdl_ui_width(u->font, u->edit) - 4;

	sdl_ui_fill(u, r, sdl_ui_white);
	sdl_ui_frame(u, r, sdl_ui_blue);
	/* Long lines scroll: show the end, where the customer types. */
	while (shown[0] != '\0' && sdl_ui_width(u->font, shown) > room) {
		shown += utf8_skip(shown, strlen(shown), 1);
	}
	x += sdl_ui_width(u->font, shown);
	sdl_ui_text(u, u->font, r->x + 8, ty, sdl_ui_ink, shown);
	if (u->edit[0] != '\0') {
		int w = sdl_ui_text(u, u->font, x, ty, sdl_ui_blue, u->edit);
		SDL_Rect line = { x, ty + TTF_FontHeight(u->font), w, 2 };

		sdl_ui_fill(u, &line, sdl_ui_blue);
		x += w;
	}
	{
		SDL_Rect caret = { x + 1, ty, 2, TTF_FontHeight(u->font) };
		SDL_Rect ime = { x, r->y, 1, r->h };

		sdl_ui_fill(u, &caret, sdl_ui_ink);
		/* Where the input method puts its candidate list. */
		SDL_SetTextInputRect(&ime);
	}
}

static void sdl_ui_draw_header(struct helper_ui_sdl *u)
{
	SDL_Rect head = { 0, 0, SDL_UI_W, 48 };
	int w = sdl_ui_width(u->font, u->state);

	sdl_ui_fill(u, &head, sdl_ui_blue);
	sdl_ui_text(u, u->big, SDL_UI_PAD, 10, sdl_ui_white,
		    u->org[0] != '\0' ? u->org : _("Remote support"));
	sdl_ui_text(u, u->font, SDL_UI_W - SDL_UI_PAD - w, 15, sdl_ui_white, u->state);
}

static void sdl_ui_draw_banner(struct helper_ui_sdl *u)
{
	SDL_Rect band = { 0, 48, SDL_UI_W, 40 };
	char text[SDL_UI_WATCH_MAX * 300 + 64] = "";
	size_t len = 0;

	if (u->paused) {
		/* Paused is neither safe-grey nor watched-red: who is still connected, on amber. */
		sdl_ui_fill(u, &band, sdl_ui_amber);
		if (u->n_watch == 0) {
			sdl_ui_text(u, u->font, SDL_UI_PAD, 58, sdl_ui_white,
				    _("Sharing is paused. Nobody is connected."));
			return;
		}
		sdl_ui_append(text, sizeof(text), _("Sharing is paused. Still connected, seeing nothing new: "));
		for (size_t i = 0; i < u->n_watch; i++) {
			char who[300];

			if (i > 0)
				sdl_ui_append(text, sizeof(text), _("; "));
			helper_ui_words_who(u->watch[i].name, u->watch[i].tier, u->org, who, sizeof(who));
			sdl_ui_append(text, sizeof(text), who);
		}
		sdl_ui_text(u, u->font, SDL_UI_PAD, 58, sdl_ui_white, text);
		return;
	}
	if (u->n_watch == 0) {
		sdl_ui_fill(u, &band, (SDL_Color){ 0xe4, 0xe4, 0xe4, 0xff });
		sdl_ui_text(u, u->font, SDL_UI_PAD, 58, sdl_ui_ink, _("Nobody can see your screen."));
		return;
	}
	sdl_ui_fill(u, &band, sdl_ui_red);
	for (size_t i = 0; i < u->n_watch && len < sizeof(text); i++) {
		const struct sdl_ui_watcher *w = &u->watch[i];
		char who[300];
		int n;

		if (i > 0)
			sdl_ui_append(text, sizeof(text), _("; "));
		len = strlen(text);
		helper_ui_words_who(w->name, w->tier, u->org, who, sizeof(who));
		n = snprintf(text + len, sizeof(text) - len,
			     w->control ? _("%s sees and controls your screen") : _("%s sees your screen"), who);
		if (n > 0)
			len += (size_t)n;
	}
	sdl_ui_text(u, u->font, SDL_UI_PAD, 58, sdl_ui_white, text);
}

/* What the main screen's card says, for the trace: it must match what is drawn. */
static const char *sdl_ui_card_name(const struct helper_ui_sdl *u)
{
	if (u->screen != SDL_UI_SCREEN_MAIN)
		return "-";
	if (u->previewing)
		return "preview";
	if (u->question == HELPER_UI_ASKING_NOTHING)
		return u->n_watch > 0 || u->paused ? "sharing-hint" : "nothing-shared";
	if (u->question == HELPER_UI_ASKING_CONSENT)
		return u->question_upgrade ? "consent-control" : "consent";
	return "logs";
}

/* The log preview: what will be sent, a pane of it from preview_top, and how to move. */
static void sdl_ui_draw_preview(struct helper_ui_sdl *u)
{
	int skip = TTF_FontLineSkip(u->font);
	size_t rows = (size_t)((sdl_ui_preview_pane.h - 8) / skip);
	int y = sdl_ui_preview_pane.y + 4;
	char head[512], clean[SDL_UI_CHAT_LINE_MAX];

	snprintf(head, sizeof(head),
		 _("This is exactly what will be sent if you click \"Send it\" (%zu bytes). Scroll with the "
		   "mouse wheel or the arrow keys."), u->preview_bytes);
	sdl_ui_paragraph(u, 16, 96, SDL_UI_W - 32, 2, sdl_ui_ink, head);
	sdl_ui_fill(u, &sdl_ui_preview_pane, (SDL_Color){ 0xf6, 0xf6, 0xf6, 0xff });
	sdl_ui_frame(u, &sdl_ui_preview_pane, (SDL_Color){ 0xc0, 0xc0, 0xc0, 0xff });
	for (size_t i = u->preview_top; i < u->preview_n && i < u->preview_top + rows; i++) {
		size_t start = u->preview_line[i];
		size_t end = i + 1 < u->preview_n ? u->preview_line[i + 1] : strlen(u->preview);

		while (end > start && (u->preview[end - 1] == '\n' || u->preview[end - 1] == ' '))
			end--;
		helper_ui_text_clean_n(u->preview + start, end - start, clean, sizeof(clean));
		sdl_ui_text(u, u->font, sdl_ui_preview_pane.x + 8, y, sdl_ui_ink, clean);
		y += skip;
	}
	if (u->preview_n > rows) {
		/* Where in the text the pane is, as a bar on its right edge. */
		int h = sdl_ui_preview_pane.h - 4;
		int bar = (int)((size_t)h * rows / u->preview_n) + 4;
		int top = (int)((size_t)(h - bar) * u->preview_top / (u->preview_n - rows));
		SDL_Rect r = { sdl_ui_preview_pane.x + sdl_ui_preview_pane.w - 8, sdl_ui_preview_pane.y + 2 + top, 6,
			       bar };

		sdl_ui_fill(u, &r, sdl_ui_grey);
	}
}

/*
 * The self-help articles under a heading, line by line, wrapped; what does
 * not fit above the buttons is left out (the relay sends three at most).
 */
static void sdl_ui_draw_selfhelp(struct helper_ui_sdl *u)
{
	int y = sdl_ui_paragraph(u, 40, 96, SDL_UI_W - 80, 2, sdl_ui_ink,
				 _("Before you ask for help: these articles may solve the problem."));
	int bottom = sdl_ui_buttons[SDL_UI_BTN_SOLVED].r.y - 8, skip = TTF_FontLineSkip(u->font);

	y += skip / 2;
	for (const char *p = u->selfhelp != NULL ? u->selfhelp : ""; *p != '\0' && y + skip <= bottom;) {
		const char *end = strchr(p, '\n');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
		char line[1024];
		bool title = p[0] == '#';

		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		if (line[0] == '\0')
			y += skip / 2;
		else
			y = sdl_ui_paragraph(u, title ? 40 : 56, y, SDL_UI_W - 96, (bottom - y) / skip,
					     title ? sdl_ui_blue : sdl_ui_ink, line);
		p += n;
		if (*p == '\n')
			p++;
	}
}

static void sdl_ui_draw_card(struct helper_ui_sdl *u)
{
	int y = 100;

	switch (u->screen) {
	case SDL_UI_SCREEN_START:
		break;
	case SDL_UI_SCREEN_CODE:
		y = sdl_ui_paragraph(u, 40, y, SDL_UI_W - 80, 2, sdl_ui_ink,
				     _("Please enter the support code your technician gave you."));
		sdl_ui_draw_field(u, &sdl_ui_code_field, u->code);
		if (u->code[0] == '\0' && u->edit[0] == '\0')
			/* What a code looks like, until the customer types one. */
			sdl_ui_text(u, u->font, sdl_ui_code_field.x + 14,
				    sdl_ui_code_field.y + (sdl_ui_code_field.h - TTF_FontHeight(u->font)) / 2,
				    (SDL_Color){ 0xa0, 0xa0, 0xa0, 0xff }, "1234-5678-9012");
		if (u->problem[0] != '\0')
			sdl_ui_paragraph(u, 40, 226, SDL_UI_W - 80, 2, sdl_ui_red, u->problem);
		break;
	case SDL_UI_SCREEN_INTAKE:
		sdl_ui_paragraph(u, 40, y, SDL_UI_W - 80, 2, sdl_ui_ink,
				 _("Describe the problem in a few words (one line); a technician will read it "
				   "and answer:"));
		sdl_ui_paragraph(u, 40, 236, SDL_UI_W - 80, 1, sdl_ui_ink,
				 _("Your name (optional; press Enter to skip):"));
		if (u->intake_on_name) {
			sdl_ui_draw_field_idle(u, &sdl_ui_describe_field, u->describe);
			sdl_ui_draw_field(u, &sdl_ui_name_field, u->name);
		} else {
			sdl_ui_draw_field(u, &sdl_ui_describe_field, u->describe);
			sdl_ui_draw_field_idle(u, &sdl_ui_name_field, u->name);
		}
		if (u->problem[0] != '\0')
			sdl_ui_paragraph(u, 40, 390, SDL_UI_W - 80, 2, sdl_ui_red, u->problem);
		break;
	case SDL_UI_SCREEN_CONNECTING:
		sdl_ui_paragraph(u, 40, y, SDL_UI_W - 80, 3, sdl_ui_ink,
				 _("Connecting to the support service..."));
		break;
	case SDL_UI_SCREEN_SELFHELP:
		sdl_ui_draw_selfhelp(u);
		break;
	case SDL_UI_SCREEN_MAIN:
		if (u->previewing) {
			sdl_ui_draw_preview(u);
			break;
		}
		if (strcmp(sdl_ui_card_name(u), "sharing-hint") == 0) {
			/* "Nothing is shared" would be untrue now. */
			sdl_ui_paragraph(u, 40, y, SDL_UI_W - 80, 5, sdl_ui_grey,
					 _("You can pause or stop sharing at any moment with the buttons at "
					   "the bottom of this window."));
			break;
		}
		if (u->question == HELPER_UI_ASKING_NOTHING) {
			sdl_ui_paragraph(u, 40, y, SDL_UI_W - 80, 5, sdl_ui_grey,
					 _("Nothing is shared until you allow it. Each technician who wants "
					   "to see your screen is named here and waits for your answer."));
			break;
		}
		sdl_ui_paragraph(u, 40, y, SDL_UI_W - 80, 5, sdl_ui_ink, u->question_text);
		break;
	case SDL_UI_SCREEN_ENDED:
		sdl_ui_paragraph(u, 40, y, SDL_UI_W - 80, 5, sdl_ui_ink,
				 u->problem[0] != '\0' ? u->problem : _("The session has ended."));
		break;
	}
}

/* The chat pane; with entry, its entry line below (after the end, the pane alone stays to read). */
static void sdl_ui_draw_chat(struct helper_ui_sdl *u, bool entry)
{
	int skip = TTF_FontLineSkip(u->font);
	int rows = (sdl_ui_chat_pane.h - 8) / skip;
	size_t shown = u->chat_n < (size_t)rows ? u->chat_n : (size_t)rows;
	size_t back = u->chat_back < u->chat_n - shown ? u->chat_back : u->chat_n - shown;
	int y = sdl_ui_chat_pane.y + 4;

	sdl_ui_fill(u, &sdl_ui_chat_pane, (SDL_Color){ 0xf6, 0xf6, 0xf6, 0xff });
	sdl_ui_frame(u, &sdl_ui_chat_pane, (SDL_Color){ 0xc0, 0xc0, 0xc0, 0xff });
	for (size_t i = u->chat_n - shown - back; i < u->chat_n - back; i++) {
		const struct sdl_ui_chat_line *l = &u->chat[(u->chat_first + i) % SDL_UI_CHAT_LINES];
		SDL_Color c = l->kind == 0 ? sdl_ui_ink : l->kind == 1 ? sdl_ui_blue : sdl_ui_grey;

		sdl_ui_text(u, u->font, sdl_ui_chat_pane.x + 8, y, c, l->text);
		y += skip;
	}
	if (back > 0)
		sdl_ui_text(u, u->font, sdl_ui_chat_pane.x + sdl_ui_chat_pane.w - 24,
			    sdl_ui_chat_pane.y + sdl_ui_chat_pane.h - skip - 4, sdl_ui_grey, "\u25bc");
	if (entry)
		sdl_ui_draw_field(u, &sdl_ui_entry_field, u->entry);
}

static const char *sdl_ui_screen_name(enum sdl_ui_screen s)
{
	switch (s) {
	case SDL_UI_SCREEN_START: return "start";
	case SDL_UI_SCREEN_CODE: return "code";
	case SDL_UI_SCREEN_CONNECTING: return "connecting";
	case SDL_UI_SCREEN_MAIN: return "main";
	case SDL_UI_SCREEN_ENDED: return "ended";
	case SDL_UI_SCREEN_INTAKE: return "intake";
	case SDL_UI_SCREEN_SELFHELP: return "selfhelp";
	}
	return "?";
}

/*
 * The question's buttons as drawn, name=label, when they change: the words
 * the customer reads, for tests in both languages.
 */
static void sdl_ui_trace_labels(struct helper_ui_sdl *u)
{
	static const enum sdl_ui_button asked[] = { SDL_UI_BTN_ALLOW, SDL_UI_BTN_VIEW, SDL_UI_BTN_DENY };
	char line[sizeof(u->last_labels)];
	size_t len = 0;

	line[0] = '\0';
	for (size_t i = 0; i < sizeof(asked) / sizeof(asked[0]) && len < sizeof(line); i++) {
		int n;

		if (!sdl_ui_visible(u, asked[i]) || u->question != HELPER_UI_ASKING_CONSENT)
			continue;
		n = snprintf(line + len, sizeof(line) - len, "%s%s=%s", len > 0 ? " | " : "",
			     sdl_ui_buttons[asked[i]].name,
			     sdl_ui_button_label(u, asked[i], u->question_control));
		if (n > 0)
			len += (size_t)n;
	}
	if (strcmp(line, u->last_labels) == 0)
		return;
	snprintf(u->last_labels, sizeof(u->last_labels), "%s", line);
	if (line[0] != '\0')
		printf("UI labels %s\n", line);
}

static char *sdl_ui_field(struct helper_ui_sdl *u, size_t *len);

/* One trace line per state drawn, printed after it is on screen (for tests' screenshots). */
static void sdl_ui_trace_state(struct helper_ui_sdl *u)
{
	char line[sizeof(u->last_trace)];
	const char *q = u->question == HELPER_UI_ASKING_CONSENT ? "consent" :
			u->question == HELPER_UI_ASKING_LOGS ? "logs" : "none";

	char shape[SDL_UI_CODE_MAX];
	size_t typed_max;
	const char *typed = sdl_ui_field(u, &typed_max);
	/* Which field has the keyboard and how long it is: tests type a character and wait for it. */
	const char *typing = typed == NULL ? "none" : typed == u->code ? "code" : typed == u->entry ? "chat" :
			     typed == u->name ? "name" : "describe";

	if (!u->trace)
		return;
	if (strcmp(u->problem, u->last_problem) != 0) {
		/* The words the customer reads, for tests in both languages. */
		snprintf(u->last_problem, sizeof(u->last_problem), "%s", u->problem);
		printf("UI problem %s\n", u->problem);
	}
	/* The code's shape, never its digits: a trace is no place for a secret. */
	for (size_t i = 0; i < sizeof(shape); i++)
		shape[i] = u->code[i] >= '0' && u->code[i] <= '9' ? '#' : u->code[i];
	shape[sizeof(shape) - 1] = '\0';
	snprintf(line, sizeof(line),
		 "UI state screen=%s question=%s watching=%zu chat=%zu entry=%zu problem=%s typing=%s typed=%zu "
		 "paused=%s composing=%zu code=%s preview=%s card=%s scroll=%zu",
		 sdl_ui_screen_name(u->screen), q, u->n_watch, u->chat_total, strlen(u->entry),
		 u->problem[0] != '\0' ? "yes" : "no", typing, typed != NULL ? strlen(typed) : 0,
		 u->paused ? "yes" : "no", strlen(u->edit), shape,
		 u->previewing ? "yes" : "no", sdl_ui_card_name(u), u->previewing ? u->preview_top : u->chat_back);
	sdl_ui_trace_labels(u);
	if (strcmp(line, u->last_trace) == 0) {
		fflush(stdout);
		return;
	}
	memcpy(u->last_trace, line, sizeof(line));
	printf("%s\n", line);
	fflush(stdout);
}

static void sdl_ui_render(struct helper_ui_sdl *u)
{
	SDL_Rect all = { 0, 0, SDL_UI_W, SDL_UI_H };

	u->dirty = false;
	sdl_ui_fill(u, &all, sdl_ui_white);
	sdl_ui_draw_header(u);
	if (u->screen == SDL_UI_SCREEN_MAIN)
		sdl_ui_draw_banner(u);
	sdl_ui_draw_card(u);
	if (u->screen == SDL_UI_SCREEN_MAIN && !u->previewing)
		sdl_ui_draw_chat(u, true);
	else if (u->screen == SDL_UI_SCREEN_ENDED && u->chat_n > 0)
		sdl_ui_draw_chat(u, false);
	for (int b = 0; b < SDL_UI_BTN_COUNT; b++)
		if (sdl_ui_visible(u, (enum sdl_ui_button)b))
			sdl_ui_draw_button(u, (enum sdl_ui_button)b);
	SDL_RenderPresent(u->ren);
	sdl_ui_trace_state(u);
}

/* --- state ---------------------------------------------------------------- */

static void sdl_ui_chat_add_line(void *ctx, const char *line)
{
	struct helper_ui_sdl *u = ((void **)ctx)[0];
	int kind = *(int *)((void **)ctx)[1];
	struct sdl_ui_chat_line *l;

	if (u->chat_n == SDL_UI_CHAT_LINES) {
		u->chat_first = (u->chat_first + 1) % SDL_UI_CHAT_LINES;
		u->chat_n--;
	}
	l = &u->chat[(u->chat_first + u->chat_n) % SDL_UI_CHAT_LINES];
	snprintf(l->text, sizeof(l->text), "%s", line);
	l->kind = kind;
	u->chat_n++;
}

/* Adds one message to the chat pane, wrapped to its width. text is already clean. */
static void sdl_ui_chat_add(struct helper_ui_sdl *u, int kind, const char *text)
{
	void *ctx[2] = { u, &kind };

	sdl_ui_wrap(u->font, text, sdl_ui_chat_pane.w - 16, 16, sdl_ui_chat_add_line, ctx);
	u->chat_total++;
	u->dirty = true;
}

static void sdl_ui_notice(struct helper_ui_sdl *u, const char *text)
{
	char line[2 * SDL_UI_TEXT_MAX + 512];

	snprintf(line, sizeof(line), "* %s", text);
	sdl_ui_chat_add(u, 2, line);
}

static void sdl_ui_push(struct helper_ui_sdl *u, enum helper_ui_choice c)
{
	if (u->q_n == SDL_UI_QUEUE)
		return;  /* a customer clicking faster than the loop runs: later clicks repeat earlier ones */
	u->queue[(u->q_head + u->q_n) % SDL_UI_QUEUE] = c;
	u->q_n++;
}

/* Removes the last UTF-8 character of s. */
static void sdl_ui_backspace(char *s)
{
	s[utf8_prev(s, strlen(s))] = '\0';
}

static void sdl_ui_append(char *dst, size_t dstlen, const char *add)
{
	size_t n = strlen(dst), a = strlen(add);

	if (n + a >= dstlen)
		a = utf8_whole(add, dstlen - 1 - n);
	memcpy(dst + n, add, a);
	dst[n + a] = '\0';
}

/*
 * A code as the customer types it, grouped the way technicians read it
 * out (1234-5678-9012): only digits count, at most CODE_DIGITS, and the
 * dashes come by themselves. add is typed text (may be NULL); erase takes
 * the last digit away.
 */
static void sdl_ui_code_edit(char *code, size_t len, const char *add, bool erase)
{
	char digits[CODE_DIGITS + 1];
	size_t n = 0, o = 0;

	for (const char *p = code; *p != '\0'; p++)
		if (*p >= '0' && *p <= '9' && n < CODE_DIGITS)
			digits[n++] = *p;
	for (const char *p = add != NULL ? add : ""; *p != '\0'; p++)
		if (*p >= '0' && *p <= '9' && n < CODE_DIGITS)
			digits[n++] = *p;
	if (erase && n > 0)
		n--;
	for (size_t i = 0; i < n && o + 2 < len; i++) {
		if (i > 0 && i % 4 == 0)
			code[o++] = '-';
		code[o++] = digits[i];
	}
	code[o] = '\0';
	helper_platform_wipe(digits, sizeof(digits));
}

static void sdl_ui_preview_free(struct helper_ui_sdl *u)
{
	if (u->preview != NULL)
		helper_platform_wipe(u->preview, strlen(u->preview));
	free(u->preview);
	free(u->preview_line);
	u->preview = NULL;
	u->preview_line = NULL;
	u->preview_n = u->preview_top = 0;
	u->previewing = false;
	u->dirty = true;
}

/* Moves the preview by delta display lines, within the text. */
static void sdl_ui_preview_scroll(struct helper_ui_sdl *u, long delta)
{
	size_t rows = (size_t)((sdl_ui_preview_pane.h - 8) / TTF_FontLineSkip(u->font));
	size_t last = u->preview_n > rows ? u->preview_n - rows : 0;

	if (delta < 0)
		u->preview_top = (size_t)-delta > u->preview_top ? 0 : u->preview_top - (size_t)-delta;
	else
		u->preview_top = u->preview_top + (size_t)delta > last ? last : u->preview_top + (size_t)delta;
	u->dirty = true;
}

/* The mouse wheel: the preview when it is open, else the chat pane. */
static void sdl_ui_wheel(struct helper_ui_sdl *u, int y)
{
	if (u->previewing) {
		sdl_ui_preview_scroll(u, -3L * y);
		return;
	}
	size_t rows = (size_t)((sdl_ui_chat_pane.h - 8) / TTF_FontLineSkip(u->font));
	size_t most = u->chat_n > rows ? u->chat_n - rows : 0;

	if (y > 0)
		u->chat_back += (size_t)y * 3;
	else
		u->chat_back = (size_t)(-y) * 3 > u->chat_back ? 0 : u->chat_back - (size_t)(-y) * 3;
	if (u->chat_back > most)
		u->chat_back = most;
	u->dirty = true;
}

static void sdl_ui_send_entry(struct helper_ui_sdl *u)
{
	char shown[SDL_UI_ENTRY_MAX + 64], clean[SDL_UI_ENTRY_MAX];

	if (u->entry[0] == '\0' || u->l_n == sizeof(u->lines) / sizeof(u->lines[0]))
		return;
	snprintf(u->lines[(u->l_head + u->l_n) % 4], sizeof(u->lines[0]), "%s", u->entry);
	u->l_n++;
	sdl_ui_push(u, HELPER_UI_CHAT);
	/* TRANSLATORS: the customer's own chat lines in the chat pane. */
	snprintf(shown, sizeof(shown), _("You: %s"), helper_ui_text_clean(u->entry, clean, sizeof(clean)));
	sdl_ui_chat_add(u, 1, shown);
	u->entry[0] = '\0';
}

static void sdl_ui_click(struct helper_ui_sdl *u, int x, int y)
{
	SDL_Point p = { x, y };

	if (u->screen == SDL_UI_SCREEN_INTAKE && SDL_PointInRect(&p, &sdl_ui_describe_field))
		u->intake_on_name = false, u->dirty = true;
	else if (u->screen == SDL_UI_SCREEN_INTAKE && SDL_PointInRect(&p, &sdl_ui_name_field))
		u->intake_on_name = true, u->dirty = true;
	for (int i = 0; i < SDL_UI_BTN_COUNT; i++) {
		enum sdl_ui_button b = (enum sdl_ui_button)i;

		if (!sdl_ui_visible(u, b) || !SDL_PointInRect(&p, &sdl_ui_buttons[b].r))
			continue;
		switch (b) {
		case SDL_UI_BTN_CONNECT:
			u->submitted = true;
			break;
		case SDL_UI_BTN_ALLOW:
			sdl_ui_push(u, HELPER_UI_ALLOW);
			u->question = HELPER_UI_ASKING_NOTHING;
			break;
		case SDL_UI_BTN_VIEW:
			sdl_ui_push(u, HELPER_UI_ALLOW_VIEW);
			u->question = HELPER_UI_ASKING_NOTHING;
			break;
		case SDL_UI_BTN_DENY:
			sdl_ui_push(u, HELPER_UI_DENY);
			u->question = HELPER_UI_ASKING_NOTHING;
			break;
		case SDL_UI_BTN_SEND:
			sdl_ui_send_entry(u);
			break;
		case SDL_UI_BTN_STOP:
			sdl_ui_push(u, HELPER_UI_STOP);
			break;
		case SDL_UI_BTN_PAUSE:
			/* The label changes when the session confirms, in paused(). */
			sdl_ui_push(u, u->paused ? HELPER_UI_RESUME : HELPER_UI_PAUSE);
			break;
		case SDL_UI_BTN_END:
			sdl_ui_push(u, HELPER_UI_END);
			break;
		case SDL_UI_BTN_CLOSE:
			u->quit = true;
			break;
		case SDL_UI_BTN_NOCODE:
			u->nocode = true;
			break;
		case SDL_UI_BTN_OPEN:
			u->submitted = true;
			break;
		case SDL_UI_BTN_BACK:
			u->back = true;
			break;
		case SDL_UI_BTN_SOLVED:
			u->selfhelp_choice = 0;
			break;
		case SDL_UI_BTN_TICKET:
			u->selfhelp_choice = 1;
			break;
		case SDL_UI_BTN_SHOW:
			/* The session collects and answers with logs_preview(). */
			sdl_ui_push(u, HELPER_UI_PREVIEW);
			break;
		case SDL_UI_BTN_SEND_LOGS:
			sdl_ui_push(u, HELPER_UI_ALLOW);
			u->question = HELPER_UI_ASKING_NOTHING;
			sdl_ui_preview_free(u);
			break;
		case SDL_UI_BTN_KEEP_LOGS:
			sdl_ui_push(u, HELPER_UI_DENY);
			u->question = HELPER_UI_ASKING_NOTHING;
			sdl_ui_preview_free(u);
			break;
		case SDL_UI_BTN_HIDE:
			sdl_ui_preview_free(u);
			break;
		case SDL_UI_BTN_COUNT:
			break;
		}
		u->dirty = true;
		return;
	}
}

/* The field the keyboard types into, or NULL. */
static char *sdl_ui_field(struct helper_ui_sdl *u, size_t *len)
{
	if (u->screen == SDL_UI_SCREEN_CODE) {
		*len = sizeof(u->code);
		return u->code;
	}
	if (u->screen == SDL_UI_SCREEN_MAIN && !u->previewing) {
		*len = sizeof(u->entry);
		return u->entry;
	}
	if (u->screen == SDL_UI_SCREEN_INTAKE) {
		*len = u->intake_on_name ? sizeof(u->name) : sizeof(u->describe);
		return u->intake_on_name ? u->name : u->describe;
	}
	return NULL;
}

static void sdl_ui_key(struct helper_ui_sdl *u, const SDL_KeyboardEvent *k)
{
	size_t len;
	char *field = sdl_ui_field(u, &len);
	int page = (sdl_ui_preview_pane.h - 8) / TTF_FontLineSkip(u->font) - 1;

	if (u->previewing) {
		if (k->keysym.sym == SDLK_UP || k->keysym.sym == SDLK_DOWN)
			sdl_ui_preview_scroll(u, k->keysym.sym == SDLK_UP ? -1 : 1);
		else if (k->keysym.sym == SDLK_PAGEUP || k->keysym.sym == SDLK_PAGEDOWN)
			sdl_ui_preview_scroll(u, k->keysym.sym == SDLK_PAGEUP ? -page : page);
		else if (k->keysym.sym == SDLK_HOME || k->keysym.sym == SDLK_END)
			sdl_ui_preview_scroll(u, k->keysym.sym == SDLK_HOME ? -(long)u->preview_n : (long)u->preview_n);
		return;
	}
	/* While the input method composes, Enter and Backspace are its own. */
	if (field == NULL || u->edit[0] != '\0')
		return;
	if (k->keysym.sym == SDLK_BACKSPACE && field == u->code) {
		sdl_ui_code_edit(u->code, sizeof(u->code), NULL, true);
		u->dirty = true;
	} else if (k->keysym.sym == SDLK_BACKSPACE) {
		sdl_ui_backspace(field);
		u->dirty = true;
	} else if (u->screen == SDL_UI_SCREEN_INTAKE && k->keysym.sym == SDLK_TAB) {
		u->intake_on_name = !u->intake_on_name;
		u->dirty = true;
	} else if (k->keysym.sym == SDLK_RETURN || k->keysym.sym == SDLK_KP_ENTER) {
		/* Enter in the description moves on to the name; Enter in the name sends. */
		if (u->screen == SDL_UI_SCREEN_INTAKE && !u->intake_on_name)
			u->intake_on_name = true;
		else if (u->screen == SDL_UI_SCREEN_CODE || u->screen == SDL_UI_SCREEN_INTAKE)
			u->submitted = true;
		else
			sdl_ui_send_entry(u);
		u->dirty = true;
	}
}

static void sdl_ui_event(struct helper_ui_sdl *u, const SDL_Event *e)
{
	size_t len;
	char *field;

	switch (e->type) {
	case SDL_QUIT:
		u->quit = true;
		break;
	case SDL_WINDOWEVENT:
		u->dirty = true;
		break;
	case SDL_MOUSEBUTTONDOWN:
		if (e->button.button == SDL_BUTTON_LEFT)
			sdl_ui_click(u, e->button.x, e->button.y);
		break;
	case SDL_MOUSEWHEEL:
		sdl_ui_wheel(u, e->wheel.y);
		break;
	case SDL_KEYDOWN:
		sdl_ui_key(u, &e->key);
		break;
	case SDL_TEXTINPUT:
		field = sdl_ui_field(u, &len);
		/* A code is digits and dashes; anything else is a slip of the keyboard. */
		if (field == u->code && strspn(e->text.text, "0123456789- ") != strlen(e->text.text))
			break;
		if (field == u->code)
			sdl_ui_code_edit(u->code, sizeof(u->code), e->text.text, false);
		else if (field != NULL)
			sdl_ui_append(field, len, e->text.text);
		u->edit[0] = '\0';
		u->dirty = true;
		break;
	case SDL_TEXTEDITING:
		snprintf(u->edit, sizeof(u->edit), "%s", e->edit.text);
		u->dirty = true;
		break;
	case SDL_TEXTEDITING_EXT:
		snprintf(u->edit, sizeof(u->edit), "%s", e->editExt.text != NULL ? e->editExt.text : "");
		SDL_free(e->editExt.text);
		u->dirty = true;
		break;
	default:
		break;
	}
}

/* True for the SDL events an X press or release becomes, which a viewer's press must not produce. */
static bool sdl_ui_from_press(const SDL_Event *e)
{
	switch (e->type) {
	case SDL_MOUSEBUTTONDOWN:
	case SDL_MOUSEBUTTONUP:
	case SDL_MOUSEWHEEL:
	case SDL_KEYDOWN:
	case SDL_KEYUP:
	case SDL_TEXTINPUT:
	case SDL_TEXTEDITING:
	case SDL_TEXTEDITING_EXT:
		return true;
	default:
		return false;
	}
}

/*
 * SDL's copy of a window-system event: an injected press starts the run
 * of SDL events to drop, any other input event ends it (each is followed
 * by its own SDL events only).
 */
static void sdl_ui_syswm(struct helper_ui_sdl *u, const SDL_SysWMmsg *m)
{
	uint32_t viewer = 0;
	bool key = false;
	enum helper_origin_verdict v = helper_origin_sdl_event(u->origin, m, &viewer, &key);

	if (v == HELPER_ORIGIN_NOT_INPUT)
		return;
	u->remote = v == HELPER_ORIGIN_INJECTED;
	if (u->remote)
		log_debug("a press of viewer %u on the helper's window ignored", viewer);
	if (u->remote && key) {
		/*
		 * An input method on D-Bus (IBus, Fcitx) was handed the key while
		 * SDL read it, before we see it here: reset it, so the key neither
		 * starts nor extends a composition the customer would then commit.
		 * SDL 2.26's X11 driver has no ClearComposition; stopping text
		 * input resets XIM and the D-Bus input method (and drops text
		 * events still queued, which follow this press).
		 */
		SDL_StopTextInput();
		SDL_StartTextInput();
		if (u->edit[0] != '\0') {
			u->edit[0] = '\0';
			u->dirty = true;
		}
	}
}

static void sdl_ui_drain(struct helper_ui_sdl *u)
{
	SDL_Event e;

	while (SDL_PollEvent(&e)) {
		if (e.type == SDL_SYSWMEVENT) {
			sdl_ui_syswm(u, e.syswm.msg);
			continue;
		}
		if (u->remote && sdl_ui_from_press(&e)) {
			if (e.type == SDL_TEXTEDITING_EXT)
				SDL_free(e.editExt.text);
			continue;
		}
		sdl_ui_event(u, &e);
	}
}

/* --- the table ------------------------------------------------------------- */

/*
 * The window's icon, drawn here so that no file has to travel with the
 * bundle: the header's blue, a white speech bubble (help is a
 * conversation) with a tail at its lower left.
 */
static void sdl_ui_icon(SDL_Window *win)
{
	SDL_Surface *icon = SDL_CreateRGBSurfaceWithFormat(0, 48, 48, 32, SDL_PIXELFORMAT_RGBA32);
	Uint32 blue, white;
	SDL_Rect bubble = { 8, 10, 32, 20 }, tail = { 12, 30, 8, 4 }, tip = { 12, 34, 4, 4 };
	SDL_Rect dots[3] = { { 14, 18, 4, 4 }, { 22, 18, 4, 4 }, { 30, 18, 4, 4 } };

	if (icon == NULL)
		return;
	blue = SDL_MapRGBA(icon->format, sdl_ui_blue.r, sdl_ui_blue.g, sdl_ui_blue.b, 0xff);
	white = SDL_MapRGBA(icon->format, 0xff, 0xff, 0xff, 0xff);
	SDL_FillRect(icon, NULL, blue);
	SDL_FillRect(icon, &bubble, white);
	SDL_FillRect(icon, &tail, white);
	SDL_FillRect(icon, &tip, white);
	SDL_FillRects(icon, dots, 3, blue);
	SDL_SetWindowIcon(win, icon);
	SDL_FreeSurface(icon);
}

static void sdl_ui_close(void *state)
{
	struct helper_ui_sdl *u = state;

	if (u == NULL)
		return;
	helper_platform_wipe(u->code, sizeof(u->code));
	sdl_ui_preview_free(u);
	if (u->font != NULL)
		TTF_CloseFont(u->font);
	if (u->big != NULL)
		TTF_CloseFont(u->big);
	if (TTF_WasInit())
		TTF_Quit();
	if (u->ren != NULL)
		SDL_DestroyRenderer(u->ren);
	if (u->win != NULL)
		SDL_DestroyWindow(u->win);
	SDL_Quit();
	free(u->chat);
	free(u);
}

static int sdl_ui_open(void **state, const struct helper_ui_config *cfg, char *err, size_t errlen)
{
	struct helper_ui_sdl *u = calloc(1, sizeof(*u));
	char font_path[PATH_MAX + 64] = "", title[512];

	*state = NULL;
	if (u == NULL || (u->chat = calloc(SDL_UI_CHAT_LINES, sizeof(*u->chat))) == NULL) {
		free(u);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	u->sys_fd = -1;
	u->trace = cfg->trace;
	u->intake = cfg->intake;
	u->origin = cfg->origin;
	u->dirty = true;
	if (cfg->org != NULL)
		helper_ui_text_clean(cfg->org, u->org, sizeof(u->org));
	snprintf(u->state, sizeof(u->state), "%s", _("Not connected"));
	if (helper_ui_sdl_sys_prepare(cfg->display, err, errlen) != 0)
		goto fail;
	/* The loop's signal descriptor (platform.h) handles SIGINT and SIGTERM; SDL must not turn them into SDL_QUIT. */
	SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
	SDL_SetHint(SDL_HINT_IME_SUPPORT_EXTENDED_TEXT, "1");
	if (SDL_Init(SDL_INIT_VIDEO) != 0) {
		snprintf(err, errlen, "SDL: %s", SDL_GetError());
		goto fail;
	}
	if (TTF_Init() != 0) {
		snprintf(err, errlen, "SDL_ttf: %s", TTF_GetError());
		goto fail;
	}
	u->font = sdl_ui_font(16, font_path, sizeof(font_path));
	if (u->font == NULL || (u->big = sdl_ui_font_open(font_path, 21)) == NULL) {
		snprintf(err, errlen, "no font covering Japanese (install fonts-ipafont-gothic)");
		goto fail;
	}
	snprintf(title, sizeof(title), "%s", u->org[0] != '\0' ? u->org : _("Remote support"));
	u->win = SDL_CreateWindow(title, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, SDL_UI_W,
				  SDL_UI_H, SDL_WINDOW_SHOWN | SDL_WINDOW_ALWAYS_ON_TOP);
	if (u->win == NULL) {
		snprintf(err, errlen, "SDL window: %s", SDL_GetError());
		goto fail;
	}
	sdl_ui_icon(u->win);
	/* Software rendering: a few rectangles and text need no GPU, and it works everywhere. */
	u->ren = SDL_CreateRenderer(u->win, -1, SDL_RENDERER_SOFTWARE);
	if (u->ren == NULL) {
		snprintf(err, errlen, "SDL renderer: %s", SDL_GetError());
		goto fail;
	}
	if (helper_ui_sdl_sys_attach(u->win, title, &u->sys_fd, err, errlen) != 0)
		goto fail;
	/* Every window-system event as it is read, before what SDL makes of it: origin.h tells whose presses they are. */
	SDL_EventState(SDL_SYSWMEVENT, SDL_ENABLE);
	SDL_StartTextInput();
	if (u->trace) {
		int wx = 0, wy = 0;

		SDL_GetWindowPosition(u->win, &wx, &wy);
		printf("UI window %d %d %d %d\n", wx, wy, SDL_UI_W, SDL_UI_H);
	}
	log_info("window open on %s, font %s", cfg->display, font_path);
	if (u->trace) {
		for (int b = 0; b < SDL_UI_BTN_COUNT; b++)
			printf("UI button %s %d %d %d %d\n", sdl_ui_buttons[b].name, sdl_ui_buttons[b].r.x,
			       sdl_ui_buttons[b].r.y, sdl_ui_buttons[b].r.w, sdl_ui_buttons[b].r.h);
		printf("UI field code %d %d %d %d\n", sdl_ui_code_field.x, sdl_ui_code_field.y,
		       sdl_ui_code_field.w, sdl_ui_code_field.h);
		printf("UI field chat %d %d %d %d\n", sdl_ui_entry_field.x, sdl_ui_entry_field.y,
		       sdl_ui_entry_field.w, sdl_ui_entry_field.h);
		printf("UI field describe %d %d %d %d\n", sdl_ui_describe_field.x, sdl_ui_describe_field.y,
		       sdl_ui_describe_field.w, sdl_ui_describe_field.h);
		printf("UI field name %d %d %d %d\n", sdl_ui_name_field.x, sdl_ui_name_field.y,
		       sdl_ui_name_field.w, sdl_ui_name_field.h);
		fflush(stdout);
	}
	sdl_ui_render(u);
	*state = u;
	return 0;
fail:
	sdl_ui_close(u);
	return -1;
}

static int sdl_ui_fd(void *state)
{
	struct helper_ui_sdl *u = state;

	return u->sys_fd;
}

static int sdl_ui_timeout(void *state)
{
	(void)state;
	return helper_ui_sdl_sys_poll_ms();
}

static void sdl_ui_readable(void *state)
{
	/* next() drains SDL's queue on every pass of the loop. */
	(void)state;
}

static bool sdl_ui_pending(void *state)
{
	struct helper_ui_sdl *u = state;

	SDL_PumpEvents();
	return u->dirty || u->q_n > 0 || SDL_HasEvents(SDL_FIRSTEVENT, SDL_LASTEVENT);
}

static enum helper_ui_choice sdl_ui_next(void *state, enum helper_ui_question asking, char *line,
					 size_t linelen)
{
	struct helper_ui_sdl *u = state;
	enum helper_ui_choice c;

	(void)asking;
	sdl_ui_drain(u);
	if (u->quit) {
		/* Closing the window is ending the session: nothing stays shared behind it. */
		u->quit = false;
		sdl_ui_push(u, HELPER_UI_END);
	}
	if (u->dirty)
		sdl_ui_render(u);
	if (u->q_n == 0)
		return HELPER_UI_NONE;
	c = u->queue[u->q_head];
	u->q_head = (u->q_head + 1) % SDL_UI_QUEUE;
	u->q_n--;
	if (c == HELPER_UI_CHAT) {
		if (u->l_n == 0 || linelen == 0)
			return HELPER_UI_NONE;
		snprintf(line, linelen, "%s", u->lines[u->l_head]);
		u->l_head = (u->l_head + 1) % 4;
		u->l_n--;
	}
	return c;
}

static int sdl_ui_ask_code(void *state, const char *problem, char *code, size_t len)
{
	struct helper_ui_sdl *u = state;
	SDL_Event e;

	u->screen = SDL_UI_SCREEN_CODE;
	snprintf(u->state, sizeof(u->state), "%s", _("Not connected"));
	snprintf(u->problem, sizeof(u->problem), "%s", problem != NULL ? problem : "");
	/* After a problem the customer corrects what they typed rather than typing it all again. */
	if (problem == NULL)
		helper_platform_wipe(u->code, sizeof(u->code));
	u->submitted = false;
	u->nocode = false;
	u->dirty = true;
	while (!u->quit) {
		if (u->dirty)
			sdl_ui_render(u);
		if (SDL_WaitEventTimeout(&e, 500))
			sdl_ui_event(u, &e);
		if (u->nocode) {
			helper_platform_wipe(u->code, sizeof(u->code));
			return 1;
		}
		/* The field keeps the code until connected(), in case the relay refuses it. */
		if (u->submitted && u->code[0] != '\0') {
			snprintf(code, len, "%s", u->code);
			return 0;
		}
		u->submitted = false;
	}
	return -1;
}

static int sdl_ui_ask_intake(void *state, const char *problem, char *name, size_t namelen, char *desc,
			     size_t desclen)
{
	struct helper_ui_sdl *u = state;
	SDL_Event e;

	u->screen = SDL_UI_SCREEN_INTAKE;
	snprintf(u->problem, sizeof(u->problem), "%s", problem != NULL ? problem : "");
	u->submitted = false;
	u->back = false;
	u->intake_on_name = false;
	u->dirty = true;
	while (!u->quit) {
		if (u->dirty)
			sdl_ui_render(u);
		if (SDL_WaitEventTimeout(&e, 500))
			sdl_ui_event(u, &e);
		if (u->back)
			return 1;
		if (u->submitted && u->describe[strspn(u->describe, " ")] != '\0') {
			snprintf(desc, desclen, "%s", u->describe);
			snprintf(name, namelen, "%s", u->name);
			return 0;
		}
		u->submitted = false;
	}
	return -1;
}

static int sdl_ui_self_help(void *state, const char *text)
{
	struct helper_ui_sdl *u = state;
	SDL_Event e;
	int choice = -1;

	u->screen = SDL_UI_SCREEN_SELFHELP;
	u->selfhelp = text;
	u->selfhelp_choice = -1;
	u->problem[0] = '\0';
	u->dirty = true;
	while (!u->quit && u->selfhelp_choice < 0) {
		if (u->dirty)
			sdl_ui_render(u);
		if (SDL_WaitEventTimeout(&e, 500))
			sdl_ui_event(u, &e);
	}
	if (!u->quit)
		choice = u->selfhelp_choice;
	u->selfhelp = NULL;
	/* The sign-in goes on: the connecting screen until the ticket is open or the end says why not. */
	u->screen = SDL_UI_SCREEN_CONNECTING;
	u->dirty = true;
	sdl_ui_render(u);
	return choice;
}

static void sdl_ui_connecting(void *state, const char *relay)
{
	struct helper_ui_sdl *u = state;

	(void)relay;
	u->screen = SDL_UI_SCREEN_CONNECTING;
	snprintf(u->state, sizeof(u->state), "%s", _("Connecting..."));
	sdl_ui_drain(u);
	/* The sign-in that follows blocks: draw now. */
	sdl_ui_render(u);
}

static void sdl_ui_connected(void *state, uint32_t ticket, const char *summary)
{
	struct helper_ui_sdl *u = state;
	char s[SDL_UI_TEXT_MAX], line[SDL_UI_TEXT_MAX + 256];

	u->screen = SDL_UI_SCREEN_MAIN;
	helper_platform_wipe(u->code, sizeof(u->code));
	u->problem[0] = '\0';
	/* TRANSLATORS: the window's top right corner; the number is the ticket's, for calling the help desk. */
	snprintf(u->state, sizeof(u->state), _("Connected (reference number %u)"), ticket);
	snprintf(line, sizeof(line), _("You are connected about \"%1$s\". Your reference number is %2$u."),
		 helper_ui_text_clean(summary, s, sizeof(s)), ticket);
	sdl_ui_notice(u, line);
}


static void sdl_ui_ask(void *state, const struct helper_ui_request *r)
{
	struct helper_ui_sdl *u = state;
	char who[SDL_UI_TEXT_MAX + 256];

	helper_ui_words_who(r->name, r->tier, u->org, who, sizeof(who));
	if (r->upgrade)
		snprintf(u->question_text, sizeof(u->question_text),
			 _("%s, who can already see your screen, asks to also CONTROL it (use your mouse "
			   "and keyboard). Do you allow it?"), who);
	else
		snprintf(u->question_text, sizeof(u->question_text),
			 r->control ? _("%s asks to VIEW and CONTROL your screen. Do you allow it?") :
				      _("%s asks to VIEW your screen. Do you allow it?"), who);
	u->question = HELPER_UI_ASKING_CONSENT;
	u->question_viewer = r->viewer_id;
	u->question_control = r->control;
	u->question_upgrade = r->upgrade;
	u->dirty = true;
}

static struct sdl_ui_watcher *sdl_ui_watcher(struct helper_ui_sdl *u, uint32_t id)
{
	for (size_t i = 0; i < u->n_watch; i++)
		if (u->watch[i].id == id)
			return &u->watch[i];
	return NULL;
}

static void sdl_ui_sharing(void *state, const struct helper_ui_request *r, bool control)
{
	struct helper_ui_sdl *u = state;
	struct sdl_ui_watcher *w = sdl_ui_watcher(u, r->viewer_id);

	if (w == NULL && u->n_watch < SDL_UI_WATCH_MAX)
		w = &u->watch[u->n_watch++];
	if (w == NULL)
		w = &u->watch[SDL_UI_WATCH_MAX - 1];  /* the banner names the last eight */
	w->id = r->viewer_id;
	helper_ui_text_clean(r->name, w->name, sizeof(w->name));
	helper_ui_text_clean(r->tier, w->tier, sizeof(w->tier));
	w->control = control;
	u->dirty = true;
}

static void sdl_ui_unwatch(struct helper_ui_sdl *u, uint32_t id)
{
	struct sdl_ui_watcher *w = sdl_ui_watcher(u, id);

	if (w == NULL)
		return;
	memmove(w, w + 1, (size_t)(&u->watch[u->n_watch] - (w + 1)) * sizeof(*w));
	u->n_watch--;
	u->dirty = true;
}

/* A notice naming r: fmt has one %s, for who r is (ui_words.h). */
static void sdl_ui_notice_who(struct helper_ui_sdl *u, const char *fmt, const struct helper_ui_request *r)
{
	char who[SDL_UI_TEXT_MAX], line[SDL_UI_TEXT_MAX + 256];

	helper_ui_words_who(r->name, r->tier, u->org, who, sizeof(who));
	/* fmt is one of our own translated strings, checked by msgfmt --check-format. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(line, sizeof(line), fmt, who);
#pragma GCC diagnostic pop
	sdl_ui_notice(u, line);
}

static void sdl_ui_denied(void *state, const struct helper_ui_request *r)
{
	sdl_ui_notice_who(state, _("You said no to %s."), r);
}

static void sdl_ui_withdrawn(void *state, const struct helper_ui_request *r)
{
	struct helper_ui_sdl *u = state;

	if (u->question == HELPER_UI_ASKING_CONSENT && u->question_viewer == r->viewer_id)
		u->question = HELPER_UI_ASKING_NOTHING;
	sdl_ui_notice_who(u, _("%s cancelled the request; no answer is needed."), r);
}

static void sdl_ui_stopped(void *state, const struct helper_ui_request *r)
{
	struct helper_ui_sdl *u = state;

	sdl_ui_unwatch(u, r->viewer_id);
	sdl_ui_notice_who(u, _("%s no longer sees your screen."), r);
}

static void sdl_ui_stopped_all(void *state)
{
	struct helper_ui_sdl *u = state;

	u->n_watch = 0;
	sdl_ui_notice(u, _("You stopped sharing. Nobody can see your screen."));
}

static void sdl_ui_paused(void *state, bool paused)
{
	struct helper_ui_sdl *u = state;

	u->paused = paused;
	u->dirty = true;
	sdl_ui_notice(u, paused ? _("You paused sharing. The technicians stay connected but see nothing new "
				    "and cannot control your computer.") :
				  _("You resumed sharing."));
}

static void sdl_ui_input_closed(void *state)
{
	(void)state;  /* the window never stops taking input while it is open */
}

static void sdl_ui_status(void *state, const char *text)
{
	char s[SDL_UI_TEXT_MAX];

	sdl_ui_notice(state, helper_ui_text_clean(text, s, sizeof(s)));
}

static void sdl_ui_chat(void *state, const char *name, const char *tier, const char *text)
{
	struct helper_ui_sdl *u = state;
	char n[SDL_UI_TEXT_MAX], tb[64], l[SDL_UI_TEXT_MAX], line[2 * SDL_UI_TEXT_MAX];
	const char *p = text != NULL ? text : "";
	const char *t = helper_ui_words_tier(tier, tb, sizeof(tb));

	helper_ui_text_clean(name, n, sizeof(n));
	/* One pane line per line of text, each with its author, so none can pass for ours. */
	do {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);

		if (len > 0 && p[len - 1] == '\r')
			len--;
		/* TRANSLATORS: a chat line: the technician's name, their team (help desk, ...), the text. */
		snprintf(line, sizeof(line), _("%1$s (%2$s): %3$s"), n, t, helper_ui_text_clean_n(p, len, l, sizeof(l)));
		sdl_ui_chat_add(u, 0, line);
		p = nl != NULL ? nl + 1 : NULL;
	} while (p != NULL && *p != '\0');
}

static void sdl_ui_chat_unsent(void *state)
{
	sdl_ui_notice(state, _("That line was not sent: the connection is busy. Please type it again in a moment."));
}

static void sdl_ui_logs_ask(void *state, const struct helper_ui_logs_request *r)
{
	struct helper_ui_sdl *u = state;
	char who[SDL_UI_TEXT_MAX + 256], item[SDL_UI_TEXT_MAX];
	size_t len;

	helper_ui_words_who(r->name, r->tier, u->org, who, sizeof(who));
	sdl_ui_preview_free(u);
	snprintf(u->question_text, sizeof(u->question_text),
		 _("%s asks for information about this computer, to find the cause of the problem. "
		   "It would get:"), who);
	len = strlen(u->question_text);
	for (size_t i = 0; i < r->n_items && len < sizeof(u->question_text); i++) {
		int n = snprintf(u->question_text + len, sizeof(u->question_text) - len, "\n- %s",
				 helper_ui_text_clean(r->items[i], item, sizeof(item)));

		if (n > 0)
			len += (size_t)n;
	}
	u->question = HELPER_UI_ASKING_LOGS;
	u->question_control = false;
	u->question_upgrade = false;
	u->dirty = true;
}

static void sdl_ui_logs_preview(void *state, const struct helper_ui_logs_request *r, const char *text,
				size_t len)
{
	struct helper_ui_sdl *u = state;
	size_t cap = 1024, at = 0;
	char piece[512];

	(void)r;
	sdl_ui_preview_free(u);
	u->preview = malloc(len + 1);
	u->preview_line = malloc(cap * sizeof(*u->preview_line));
	if (u->preview == NULL || u->preview_line == NULL) {
		sdl_ui_preview_free(u);
		sdl_ui_notice(u, _("The preview could not be shown: this computer is short of memory."));
		return;
	}
	memcpy(u->preview, text, len);
	u->preview[len] = '\0';
	/* Tabs would be drawn as '?' by the cleaning; the bytes sent keep them. */
	for (size_t i = 0; i < len; i++)
		if (u->preview[i] == '\t')
			u->preview[i] = ' ';
	u->preview_bytes = len;
	/* Wrapped once here, not at every frame: a bundle can be a megabyte. */
	while (at < len && u->preview_n < SDL_UI_PREVIEW_LINES) {
		size_t n;

		if (u->preview_n == cap) {
			size_t *more = realloc(u->preview_line, 2 * cap * sizeof(*more));

			if (more == NULL)
				break;
			u->preview_line = more;
			cap *= 2;
		}
		u->preview_line[u->preview_n++] = at;
		/* Measured on a piece: SDL_ttf shapes all the text it is given. */
		n = utf8_whole(u->preview + at, len - at < sizeof(piece) - 1 ? len - at : sizeof(piece) - 1);
		memcpy(piece, u->preview + at, n);
		piece[n] = '\0';
		n = sdl_ui_fit(u->font, piece, sdl_ui_preview_pane.w - 24);
		at += n > 0 ? n : 1;
		if (at < len && u->preview[at] == '\n')
			at++;
	}
	u->previewing = true;
	u->dirty = true;
	if (u->trace) {
		printf("UI preview bytes=%zu lines=%zu\n", len, u->preview_n);
		fflush(stdout);
	}
}

static void sdl_ui_logs_sent(void *state, const struct helper_ui_logs_request *r, size_t bytes)
{
	char line[256];

	(void)r;
	snprintf(line, sizeof(line), _("Diagnostic information sent (%zu bytes)."), bytes);
	sdl_ui_notice(state, line);
}

static void sdl_ui_logs_refused(void *state, const struct helper_ui_logs_request *r)
{
	(void)r;
	sdl_ui_notice(state, _("No diagnostic information was sent."));
}

static void sdl_ui_ended(void *state, const char *reason)
{
	struct helper_ui_sdl *u = state;

	u->screen = SDL_UI_SCREEN_ENDED;
	u->question = HELPER_UI_ASKING_NOTHING;
	u->n_watch = 0;
	helper_platform_wipe(u->code, sizeof(u->code));
	sdl_ui_preview_free(u);
	snprintf(u->state, sizeof(u->state), "%s", _("Session ended"));
	if (reason != NULL)
		/* TRANSLATORS: %s says why. */
		snprintf(u->problem, sizeof(u->problem), _("The session has ended: %s"), reason);
	else
		snprintf(u->problem, sizeof(u->problem), "%s",
			 _("The session has ended. Nobody can see your screen any more."));
	sdl_ui_render(u);
}

static void sdl_ui_linger(void *state)
{
	struct helper_ui_sdl *u = state;
	SDL_Event e;

	u->quit = false;
	while (!u->quit) {
		if (u->dirty)
			sdl_ui_render(u);
		if (SDL_WaitEventTimeout(&e, 200))
			sdl_ui_event(u, &e);
		/* The loop's signal descriptor is gone; platform.h still looks for SIGINT and SIGTERM. */
		if (helper_platform_signal_pending())
			break;
	}
}

const struct helper_ui_ops helper_ui_sdl = {
	.name = "sdl",
	.open = sdl_ui_open,
	.close = sdl_ui_close,
	.ask_code = sdl_ui_ask_code,
	.ask_intake = sdl_ui_ask_intake,
	.self_help = sdl_ui_self_help,
	.connecting = sdl_ui_connecting,
	.pending = sdl_ui_pending,
	.linger = sdl_ui_linger,
	.fd = sdl_ui_fd,
	.timeout = sdl_ui_timeout,
	.readable = sdl_ui_readable,
	.next = sdl_ui_next,
	.connected = sdl_ui_connected,
	.ask = sdl_ui_ask,
	.sharing = sdl_ui_sharing,
	.denied = sdl_ui_denied,
	.withdrawn = sdl_ui_withdrawn,
	.stopped = sdl_ui_stopped,
	.stopped_all = sdl_ui_stopped_all,
	.paused = sdl_ui_paused,
	.input_closed = sdl_ui_input_closed,
	.status = sdl_ui_status,
	.chat = sdl_ui_chat,
	.chat_unsent = sdl_ui_chat_unsent,
	.logs_ask = sdl_ui_logs_ask,
	.logs_preview = sdl_ui_logs_preview,
	.logs_sent = sdl_ui_logs_sent,
	.logs_refused = sdl_ui_logs_refused,
	.ended = sdl_ui_ended,
};

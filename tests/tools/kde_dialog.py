#!/usr/bin/python3
# kde_dialog.py share|cancel|absent [SECONDS]: answers xdg-desktop-portal-kde's (Plasma 5.27)
# screen-sharing dialog the way a person would. Test-only: the hand for start_kde's desktop
# (tests/e2e/wayland_lib.sh), which no test uses yet (docs/internals.md, "KDE").
#
# The dialog ("Screen Sharing": a card per screen plus "New Virtual Output", none chosen when
# there is more than one card, "Allow restoring on future sessions", Share and Cancel) is QML;
# Qt 5 puts it on the accessibility bus (AT-SPI) when QT_LINUX_ACCESSIBILITY_ALWAYS_ON is set.
# Its buttons have a Press action there, but a card is a list item with no action at all (Qt
# 5.15 gives actions to buttons, check boxes and tabs only) and takes no keyboard focus, so a
# person chooses the screen with the pointer. This script does the same: the card's place comes
# from the accessibility bus (relative to the dialog's window: Qt on Wayland knows no other;
# start_kde's window rule puts the dialog at the screen's top left without a frame, so the two
# agree), and the click goes through kwin's fake input, lent by the KDE portal's RemoteDesktop
# backend, which grants a session to a program that is not sandboxed without asking anyone.
# The backend is called directly (org.freedesktop.impl.portal.RemoteDesktop): the test's
# xdg-desktop-portal has no RemoteDesktop (start_kde screencast-only).
#
# share: clicks the screen's card, waits until the card is checked, presses Share. cancel: presses
# Cancel. absent: the portal shows no dialog for SECONDS (exits 0), else says what it saw (1).
# Prints "dialog TITLE: screens NAME,...: [chosen NAME: ][restore on: ]pressed BUTTON" and
# exits 0; exits 1 when no such dialog came within SECONDS (default 30), saying what it saw.
import sys
import time

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi, Gio, GLib  # noqa: E402

PORTAL_APP = "xdg-desktop-portal-kde"
BACKEND = "org.freedesktop.impl.portal.desktop.kde"
BTN_LEFT = 0x110  # evdev


def walk(node, found):
    """Collects the frame's buttons, cards (list items with their labels) and check boxes."""
    try:
        role = node.get_role()
        name = node.get_name() or ""
    except GLib.Error:
        return
    if role == Atspi.Role.PUSH_BUTTON:
        found["buttons"][name] = node
    elif role == Atspi.Role.LIST_ITEM:
        labels = []
        for i in range(node.get_child_count()):
            child = node.get_child_at_index(i)
            if child is not None and child.get_role() == Atspi.Role.LABEL:
                labels.append(child.get_name() or "")
        found["cards"].append((" ".join(labels).strip(), node))
    elif role == Atspi.Role.CHECK_BOX:
        found["checks"][name] = node
    for i in range(node.get_child_count()):
        child = node.get_child_at_index(i)
        if child is not None:
            walk(child, found)


def dialogs():
    desktop = Atspi.get_desktop(0)
    for i in range(desktop.get_child_count()):
        app = desktop.get_child_at_index(i)
        if app is None or app.get_name() != PORTAL_APP:
            continue
        for j in range(app.get_child_count()):
            frame = app.get_child_at_index(j)
            if frame is not None and frame.get_role() in (Atspi.Role.FRAME, Atspi.Role.DIALOG):
                if frame.get_state_set().contains(Atspi.StateType.SHOWING):
                    yield frame


class Pointer:
    """A pointer of the script's own: a RemoteDesktop session on the KDE backend."""

    def __init__(self):
        self.bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        base = "/org/freedesktop/portal/desktop"
        self.session = base + "/session/kde_dialog/pointer"
        for i, (method, args, sig) in enumerate(
            (
                ("CreateSession", (base + "/request/kde_dialog/r0", self.session, "", {}), "(oosa{sv})"),
                ("SelectDevices", (base + "/request/kde_dialog/r1", self.session, "",
                                   {"types": GLib.Variant("u", 2)}), "(oosa{sv})"),
                ("Start", (base + "/request/kde_dialog/r2", self.session, "", "", {}), "(oossa{sv})"),
            )
        ):
            reply = self.bus.call_sync(BACKEND, "/org/freedesktop/portal/desktop",
                                       "org.freedesktop.impl.portal.RemoteDesktop", method,
                                       GLib.Variant(sig, args), None, 0, 10000, None)
            code = reply.unpack()[0]
            if code != 0:
                raise RuntimeError("RemoteDesktop %s answered %d" % (method, code))

    def notify(self, method, sig, args):
        self.bus.call_sync(BACKEND, "/org/freedesktop/portal/desktop",
                           "org.freedesktop.impl.portal.RemoteDesktop", method,
                           GLib.Variant(sig, (self.session, {}) + args), None, 0, 10000, None)

    def click(self, x, y):
        self.notify("NotifyPointerMotionAbsolute", "(oa{sv}udd)", (0, float(x), float(y)))
        self.notify("NotifyPointerButton", "(oa{sv}iu)", (BTN_LEFT, 1))
        self.notify("NotifyPointerButton", "(oa{sv}iu)", (BTN_LEFT, 0))

    def close(self):
        try:
            self.bus.call_sync(BACKEND, self.session, "org.freedesktop.impl.portal.Session", "Close",
                               None, None, 0, 10000, None)
        except GLib.Error:
            pass


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("share", "cancel", "absent"):
        print("usage: kde_dialog.py share|cancel|absent [SECONDS]", file=sys.stderr)
        return 2
    what = sys.argv[1]
    want = "Cancel" if what == "cancel" else "Share"
    limit = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0
    deadline = time.monotonic() + limit
    seen = "no dialog of %s" % PORTAL_APP
    pointer = None
    clicked = None
    try:
        while time.monotonic() < deadline:
            for frame in dialogs():
                found = {"buttons": {}, "cards": [], "checks": {}}
                walk(frame, found)
                screens = [name or "?" for name, _ in found["cards"]]
                seen = "dialog %r with buttons %s and cards %s" % (frame.get_name(), sorted(found["buttons"]), screens)
                if what == "absent":
                    print(seen)
                    return 1
                title = frame.get_name()
                if not title:
                    continue  # still being built: its title comes with its parts
                button = found["buttons"].get(want)
                if button is None:
                    continue
                chosen = ""
                if what == "share":
                    # The screen, not "New Virtual Output" (which makes an output of its own).
                    cards = [(n, c) for n, c in found["cards"] if n != "New Virtual Output"]
                    if not cards:
                        continue
                    name, card = cards[0]
                    # Share looks enabled on the bus even with nothing chosen (its enabled binding
                    # does not reach it) though it does nothing then; a chosen card is checked.
                    if not card.get_state_set().contains(Atspi.StateType.CHECKED):
                        if clicked is None:
                            box = card.get_extents(Atspi.CoordType.WINDOW)
                            if box.width <= 0 or box.height <= 0:
                                continue
                            if pointer is None:
                                pointer = Pointer()
                            pointer.click(box.x + box.width / 2, box.y + box.height / 2)
                            clicked = name or "?"
                        continue  # Share only once the card shows the click
                    chosen = "chosen %s: " % (name or "?")
                    restore = found["checks"].get("Allow restoring on future sessions")
                    if restore is not None and restore.get_state_set().contains(Atspi.StateType.CHECKED):
                        chosen += "restore on: "
                if not button.do_action(0):
                    continue
                # The title as read before the press: the frame is gone once it is answered.
                print("dialog %s: screens %s: %spressed %s" % (title, ",".join(screens), chosen, want),
                      flush=True)
                return 0
            time.sleep(0.1)  # a poll of the accessibility tree, bounded by the deadline
    finally:
        if pointer is not None:
            pointer.close()
    if what == "absent":
        print("no dialog within %.0f s" % limit)
        return 0
    print("no %s to press within %.0f s: %s" % (want, limit, seen))
    return 1


if __name__ == "__main__":
    sys.exit(main())

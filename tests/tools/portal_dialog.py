#!/usr/bin/python3
# portal_dialog.py share|control|cancel|up|absent [SECONDS]: answers xdg-desktop-portal-gnome's
# screen-sharing dialog the way a person would, through the accessibility bus (AT-SPI), as a
# screen reader user does: waits for the dialog, reads its title and the monitors it offers,
# makes sure one is chosen, and presses its Share or Cancel button. control ticks "Allow remote
# interaction" first (the remote desktop dialog's check box, off by default); share leaves it
# as it is. Test-only (tests/e2e/test_wayland_gnome.sh).
#
# Why AT-SPI and not keys or clicks: mutter headless has no keyboard or pointer of its own, and
# keys sent blind through its RemoteDesktop API did not complete the dialog (docs/internals.md).
# The dialog is GTK 4, which exports its widgets on the accessibility bus by role and name.
#
# Prints "dialog TITLE: monitors NAME,...: [control allowed: ]pressed BUTTON" and exits 0; exits 1 when no such
# dialog came within SECONDS (default 30), saying what it saw. up presses nothing: it waits for the
# dialog, with its Share and Cancel buttons, and prints "dialog TITLE up". absent looks once: exits 0
# printing "no dialog" when xdg-desktop-portal-gnome shows no window, else 1 naming what is up.
import sys
import time

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi, GLib  # noqa: E402

PORTAL_APP = "xdg-desktop-portal-gnome"


def walk(node, found):
    """Collects the frame's buttons by label and its monitor list."""
    try:
        role = node.get_role()
        name = node.get_name() or ""
    except GLib.Error:
        return
    if role == Atspi.Role.PUSH_BUTTON:
        # GTK 4 names a button by its mnemonic and its label: "_Share Share".
        found["buttons"][name.split()[-1] if name else ""] = node
    elif role == Atspi.Role.LIST:
        found["lists"].append(node)
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
                yield frame


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("share", "control", "cancel", "up", "absent"):
        print("usage: portal_dialog.py share|control|cancel|up|absent [SECONDS]", file=sys.stderr)
        return 2
    if sys.argv[1] == "absent":
        frames = ["%r" % (f.get_name() or "") for f in dialogs()]
        if frames:
            print("dialog up: %s" % ", ".join(frames))
            return 1
        print("no dialog")
        return 0
    want = "Cancel" if sys.argv[1] == "cancel" else "Share"
    limit = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0
    deadline = time.monotonic() + limit
    seen = "no dialog of %s" % PORTAL_APP
    while time.monotonic() < deadline:
        for frame in dialogs():
            found = {"buttons": {}, "lists": [], "checks": {}}
            walk(frame, found)
            button = found["buttons"].get(want)
            monitors = []
            chosen = False
            for lst in found["lists"]:
                for k in range(lst.get_child_count()):
                    item = lst.get_child_at_index(k)
                    inner = {"buttons": {}, "lists": [], "checks": {}}
                    walk(item, inner)
                    if inner["checks"]:
                        continue  # the row of "Allow remote interaction", not a monitor
                    monitors.append(item.get_name() or "?")
                    chosen = chosen or item.get_state_set().contains(Atspi.StateType.SELECTED)
                # A person clicks the first monitor when none is chosen yet.
                if not chosen and lst.get_child_count() > 0:
                    lst.select_child(0)
                    chosen = lst.get_n_selected_children() > 0
            seen = "dialog %r with buttons %s and monitors %s" % (frame.get_name(), sorted(found["buttons"]), monitors)
            if button is None or not button.get_state_set().contains(Atspi.StateType.SENSITIVE):
                continue
            if want == "Share" and not chosen:
                continue
            if sys.argv[1] == "up":
                if "Cancel" in found["buttons"]:
                    print("dialog %s up" % frame.get_name())
                    return 0
                continue
            allowed = ""
            if sys.argv[1] == "control":
                check = found["checks"].get("Allow remote interaction")
                if check is None:
                    continue
                if not check.get_state_set().contains(Atspi.StateType.CHECKED):
                    check.do_action(0)
                    continue  # pressed Share only once the tree shows it ticked
                allowed = "control allowed: "
            if not button.do_action(0):
                continue
            print("dialog %s: monitors %s: %spressed %s" % (frame.get_name(), ",".join(monitors), allowed, want))
            return 0
        time.sleep(0.1)  # a poll of the accessibility tree, bounded by the deadline
    print("no %s to press within %.0f s: %s" % (want, limit, seen))
    return 1


if __name__ == "__main__":
    sys.exit(main())

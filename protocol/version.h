/*
 * version: the one version of Handoff, shared by every program (relay,
 * helper, technician's tool, the bundle's launcher through its helper).
 * `PROGRAM --version` prints "PROGRAM " HANDOFF_VERSION. Raised by hand at
 * a release: 0.x while the wire and store formats may still change.
 */
#ifndef HANDOFF_VERSION_H
#define HANDOFF_VERSION_H

#define HANDOFF_VERSION "0.1.0"

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The claim journal /run/gpu-vfio/journal.json: intent recorded before the first write to
 * a device, so that a claim killed half-way is undone by the next claim or release. */
#pragma once

#include "state.h"

/* Add intent (entries "claiming": address, VFIO driver, previous driver and override) to
 * the journal, creating it. Returns 0 or -errno. */
int journal_begin(int rootfd, const struct state *intent);

/* After the outcome is in the state record st: drop the entries whose device is settled
 * (on its VFIO driver and recorded claimed, back as it was found, or gone); remove the
 * journal when none is left. Returns how many entries are left, or -errno. */
int journal_settle(int rootfd, const struct state *st);

/* Undo what an interrupted claim left: every journal entry whose device is not settled is
 * put back on its previous driver and override (whole groups, every write bounded).
 * Undone devices are recorded in st as "released". Logs what it does; returns how many
 * devices could not be undone (they stay in the journal), or -errno. No journal: 0. */
int journal_recover(int rootfd, struct state *st);

package org.jtgt.daemon;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one initiator sees of a target when it has a LUN map ({@code LunMaps}): its own LUN
 * numbers, each naming one LUN of the target, no target LUN twice. Immutable; looked up on every
 * command of the initiator's nexuses without a lock or an allocation. A nexus without a view sees
 * every LUN of the target under the target's numbers.
 */
final class LunView {
    /** The initiator name as it was given (shown back); matched ignoring case. */
    private final String initiator;
    /** The initiator's LUN numbers, ascending. */
    private final int[] initiatorLuns;
    /** {@code targetLuns[i]} is what {@code initiatorLuns[i]} names. */
    private final int[] targetLuns;

    LunView(String initiator, Map<Integer, Integer> map) {
        this.initiator = initiator;
        TreeMap<Integer, Integer> sorted = new TreeMap<>(map);
        initiatorLuns = new int[sorted.size()];
        targetLuns = new int[sorted.size()];
        int i = 0;
        for (Map.Entry<Integer, Integer> e : sorted.entrySet()) {
            initiatorLuns[i] = e.getKey();
            targetLuns[i] = e.getValue();
            i++;
        }
    }

    String initiator() {
        return initiator;
    }

    /** The target LUN the initiator's LUN {@code lun} names, or {@link LunAddress#UNADDRESSABLE}. Allocation-free. */
    int targetLun(int lun) {
        int i = Arrays.binarySearch(initiatorLuns, lun);
        return i < 0 ? LunAddress.UNADDRESSABLE : targetLuns[i];
    }

    /** The initiator's LUN for target LUN {@code lun}, or {@link LunAddress#UNADDRESSABLE}. */
    int initiatorLun(int lun) {
        for (int i = 0; i < targetLuns.length; i++) {
            if (targetLuns[i] == lun) {
                return initiatorLuns[i];
            }
        }
        return LunAddress.UNADDRESSABLE;
    }

    /**
     * REPORT LUNS (SPC-4 6.33): writes the initiator's numbers of the LUNs in {@code luns} (one
     * snapshot of the target's, so the count and the entries agree), in ascending order, from
     * {@code offset} of the task's Data-In on; returns how many.
     */
    int list(CommandContext c, LogicalUnit[] luns, int offset) {
        int n = 0;
        for (int i = 0; i < initiatorLuns.length; i++) {
            if (contains(luns, targetLuns[i])) {
                c.putIn64(offset + n * SpcCommands.LUN_ENTRY, LunAddress.encode(initiatorLuns[i]));
                n++;
            }
        }
        return n;
    }

    private static boolean contains(LogicalUnit[] luns, int lun) {
        for (LogicalUnit u : luns) {
            if (u.lun() == lun) {
                return true;
            }
        }
        return false;
    }

    /** Initiator LUN → target LUN, sorted. */
    Map<Integer, Integer> asMap() {
        Map<Integer, Integer> m = new TreeMap<>();
        for (int i = 0; i < initiatorLuns.length; i++) {
            m.put(initiatorLuns[i], targetLuns[i]);
        }
        return Collections.unmodifiableMap(m);
    }

    /**
     * What a nexus with {@code view} sees of {@code target} now, as initiator LUN → target LUN
     * ({@code view} null: every LUN under its own number); compared to tell whether a change
     * altered the nexus's inventory.
     */
    static Map<Integer, Integer> visible(LunView view, Target target) {
        Map<Integer, Integer> m = new TreeMap<>();
        if (view == null) {
            for (LogicalUnit u : target.luns()) {
                m.put(u.lun(), u.lun());
            }
        } else {
            for (int i = 0; i < view.initiatorLuns.length; i++) {
                if (target.lun(view.targetLuns[i]) != null) {
                    m.put(view.initiatorLuns[i], view.targetLuns[i]);
                }
            }
        }
        return m;
    }
}

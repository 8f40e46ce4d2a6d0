package org.jtgt.daemon;

import java.io.IOException;

import org.jtgt.api.store.BackingStore;
import org.jtgt.api.store.SharedUnitResets;
import org.jtgt.api.store.SharedUnitResets.Kind;
import org.jtgt.api.target.TargetAdminException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resets of a logical unit that several gateways serve from one store ({@link SharedUnitResets},
 * offered by the store): a LOGICAL UNIT RESET or target reset here is announced to the other
 * gateways before the function's response, and another gateway's reset is applied here as a
 * local one would be (the unit's task set aborted, the unit reset, the unit attention on every
 * I_T nexus of the unit). A store that offers none changes nothing.
 */
final class SharedResets {
    private static final Logger LOG = LoggerFactory.getLogger(TargetDaemon.class);

    private SharedResets() {
    }

    /** Before the unit is added: the store's shared resets, or null; a store that offers them but fails refuses the unit. */
    static SharedUnitResets open(BackingStore store, String targetName, int lun) {
        try {
            return store.sharedResets();
        } catch (IOException e) {
            throw new TargetAdminException("target " + targetName + " LUN " + lun + " not added: " + e.getMessage());
        }
    }

    /** Admin lock held, the unit added to {@code target}: other gateways' resets reach it from now on. */
    static void attach(Target target, LogicalUnit unit, SharedUnitResets resets) {
        if (resets == null) {
            return;
        }
        unit.sharedResets(resets);
        resets.listen(kind -> applyRemote(target, unit, kind));
    }

    /** Admin lock held: {@code unit} leaves its target. */
    static void detach(LogicalUnit unit) {
        SharedUnitResets r = unit.sharedResets();
        if (r != null) {
            r.listen(null);
            unit.sharedResets(null);
        }
    }

    /**
     * A reset of {@code unit} done here: tells the other gateways; {@code w} answers the function
     * only when they have applied it or the store's bound passed.
     */
    static void announce(LogicalUnit unit, Kind kind, TaskManager.Wait w) {
        SharedUnitResets r = unit.sharedResets();
        if (r == null) {
            return;
        }
        w.hold();
        try {
            r.announce(kind, ok -> {
                if (!ok) {
                    LOG.warn("Target {} LUN {}: {}: not every other gateway acknowledged the {} within {} ms",
                            unit.targetName(), unit.lun(), r.describe(), kind, r.timeoutMillis());
                }
                w.taskEnded();
            });
        } catch (RuntimeException e) {
            LOG.warn("Target {} LUN {}: {}: announcing the {} failed", unit.targetName(), unit.lun(), r.describe(),
                    kind, e);
            w.taskEnded();
        }
    }

    /**
     * Another gateway reset the unit: the same here, on the store's thread. The unit's task set is
     * aborted (the removed tasks answered as aborted, running ones answer as aborted when their
     * store gives them back), the unit is reset, and the reset's unit attention goes to every I_T
     * nexus of the target.
     */
    static void applyRemote(Target target, LogicalUnit unit, Kind kind) {
        if (target.closed() || target.lun(unit.lun()) != unit) {
            return;
        }
        int aborted = TaskManager.endRemote(unit, null);
        unit.reset();
        target.unitAttentionForAllNexuses(unit.lun(), kind == Kind.LOGICAL_UNIT_RESET
                ? SenseReason.BUS_DEVICE_RESET_FUNCTION_OCCURRED
                : SenseReason.POWER_ON_RESET_OR_BUS_DEVICE_RESET_OCCURRED);
        LOG.info("Target {} LUN {}: {} through another gateway{}", target.name(), unit.lun(), kind,
                aborted > 0 ? "; " + aborted + " task(s) aborted" : "");
    }
}

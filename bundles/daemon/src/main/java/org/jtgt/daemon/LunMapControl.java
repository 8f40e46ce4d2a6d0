package org.jtgt.daemon;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

import org.jtgt.api.target.LunMaps;
import org.jtgt.api.target.TargetAdminException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LUN mapping per initiator ({@link LunMaps}) for the control plane: checks a map, publishes it
 * under the admin lock as the target's {@link LunView} for that initiator and on each of the
 * initiator's I_T nexuses, and raises REPORTED LUNS DATA HAS CHANGED (SPC-4 6.33) on exactly the
 * nexuses whose inventory changed. Commands read the view lock-free ({@link Nexus#targetLun}).
 */
final class LunMapControl implements LunMaps {
    /** Logs as the daemon, as {@link TargetControl} does. */
    private static final Logger LOG = LoggerFactory.getLogger(TargetDaemon.class);

    private final DaemonState state;

    LunMapControl(DaemonState state) {
        this.state = state;
    }

    @Override
    public void setLunMap(String targetName, String initiator, Map<Integer, Integer> map) {
        Objects.requireNonNull(initiator, "initiator");
        if (initiator.isBlank() || initiator.chars().anyMatch(ch -> Character.isWhitespace(ch) || ch == ',')) {
            throw new TargetAdminException("'" + initiator + "' is not an initiator name");
        }
        LunView view = map == null ? null : new LunView(initiator, check(map));
        String key = initiator.toLowerCase(Locale.ROOT);
        int changed = 0;
        synchronized (state.lock) {
            Target target = state.targets.get(targetName);
            if (target == null) {
                throw new TargetAdminException("no target named " + targetName);
            }
            Map<String, LunView> next = new HashMap<>(target.views());
            if (view == null) {
                next.remove(key);
            } else {
                next.put(key, view);
            }
            target.views(next);
            for (Nexus n : target.nexuses()) {
                if (!Target.initiatorName(n.initiatorPortName()).equalsIgnoreCase(initiator)) {
                    continue;
                }
                Map<Integer, Integer> before = LunView.visible(n.view(), target);
                n.view(view);
                if (!before.equals(LunView.visible(view, target))) {
                    target.reportedLunsChanged(n);
                    changed++;
                }
            }
        }
        LOG.info("Target {} LUN map of {}: {}{}", targetName, initiator,
                view == null ? "none (sees every LUN)" : view.asMap().isEmpty() ? "empty (sees no LUN)" : describe(view.asMap()),
                changed == 0 ? "" : " (REPORTED LUNS DATA HAS CHANGED on " + changed + " I_T nexus(es))");
    }

    @Override
    public Map<String, Map<Integer, Integer>> lunMaps(String targetName) {
        Target target = state.targets.get(targetName);
        if (target == null) {
            throw new TargetAdminException("no target named " + targetName);
        }
        Map<String, Map<Integer, Integer>> out = new TreeMap<>();
        for (LunView v : target.views().values()) {
            out.put(v.initiator(), v.asMap());
        }
        return out;
    }

    /** The map, checked: LUN numbers in range, no target LUN twice. */
    private static Map<Integer, Integer> check(Map<Integer, Integer> map) {
        Set<Integer> targetLuns = new HashSet<>();
        for (Map.Entry<Integer, Integer> e : map.entrySet()) {
            int initiatorLun = Objects.requireNonNull(e.getKey(), "initiator LUN");
            int targetLun = Objects.requireNonNull(e.getValue(), "target LUN");
            for (int lun : new int[] {initiatorLun, targetLun}) {
                if (lun < TargetControl.MIN_LUN || lun > TargetControl.MAX_LUN) {
                    throw new TargetAdminException("LUN " + lun + " is outside " + TargetControl.MIN_LUN + ".."
                            + TargetControl.MAX_LUN);
                }
            }
            if (!targetLuns.add(targetLun)) {
                throw new TargetAdminException("target LUN " + targetLun + " is mapped twice; an initiator sees each "
                        + "LUN once (two numbers for one unit would look like two disks to it)");
            }
        }
        return map;
    }

    static String describe(Map<Integer, Integer> map) {
        StringBuilder s = new StringBuilder();
        map.forEach((i, t) -> s.append(s.length() == 0 ? "" : ", ").append("LUN ").append(i).append(" -> ").append(t));
        return s.toString();
    }
}

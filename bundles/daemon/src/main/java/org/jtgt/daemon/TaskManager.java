package org.jtgt.daemon;

import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.event.TskMgmtRspEvent;
import org.jtgt.api.store.SharedUnitResets;
import org.jtgt.api.transport.TransportEndpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Task management functions (SAM-5 clause 7; events in SAM-5 6.3) for one I_T nexus, on tasks
 * that may really be in flight: queued in a unit's {@link TaskSet}, waiting for a store worker,
 * running there, or submitted to an asynchronous store.
 *
 * <p>The host side queues a TMF behind the commands it concerns, so every task it can name has
 * entered its task set when the TMF arrives. A function ends tasks as {@link TaskSet#abort}
 * says: a task that has not started is taken out and answered as aborted at once; a started one
 * is marked and answered as aborted when its store gives it back (a READ's buffer must not be
 * freed while the store still fills it); a task whose answer is already on its way is left to
 * finish. The function's own response goes out only when every task it ended or found answering
 * has left the set ({@link Wait}), so no answer of an aborted task ever follows it (RFC 7143
 * 11.5.1 and 4.2.3.3; SAM-5 7.1). An aborted task's record (CmdRspEvent's aborted flag) tells
 * the LLD to send the initiator nothing for it.
 * <ul>
 * <li>ABORT TASK: FUNCTION COMPLETE when it ended the task, TASK DOES NOT EXIST when the task
 *     had already been answered or is being answered (its response then reaches the initiator
 *     first; libiscsi's {@code test_async_abort_simple} accepts both outcomes).</li>
 * <li>ABORT TASK SET: the tasks of this I_T nexus on the unit. CLEAR TASK SET: every task of the
 *     unit (TST 000b, one task set); other nexuses that lost tasks get COMMANDS CLEARED BY
 *     ANOTHER INITIATOR (2Fh/00h), since TAS is 0 and their tasks end without status.</li>
 * <li>The resets end the tasks they cover and establish the unit attentions SAM-5 requires:
 *     LOGICAL UNIT RESET 29h/03h for every I_T nexus of the unit (SAM-5 LOGICAL UNIT RESET → the
 *     logical unit reset event of 6.3; LIO's {@code core_tmr_lun_reset} does the same), I_T
 *     NEXUS RESET 29h/07h on every LUN of that nexus (SAM-5 I_T NEXUS RESET → the I_T nexus loss
 *     event), TARGET WARM/COLD RESET 29h/00h on every LUN of every nexus of the target (RFC 7143
 *     11.5.1 defines them through SAM's target/hard reset; 29h/00h POWER ON, RESET, OR BUS DEVICE
 *     RESET OCCURRED is the generic code for it). On a unit several gateways serve
 *     ({@link SharedResets}) LOGICAL UNIT RESET and the target resets reach the unit on every
 *     gateway before the function answers. The iSCSI driver closes the connections on a
 *     cold reset. LOGICAL UNIT RESET and the target resets also release SPC-2 reservations and
 *     end preventions of medium removal of the units they reset; I_T NEXUS RESET those of the
 *     nexus (SPC-2 5.5.1, SBC-3 5.15). Persistent reservations and registrations survive every
 *     reset (SPC-4 5.13.1); only PREEMPT AND ABORT, CLEAR and the other PERSISTENT RESERVE OUT
 *     actions change them.</li>
 * <li>QUERY TASK, QUERY TASK SET and QUERY ASYNCHRONOUS EVENT answer FUNCTION SUCCEEDED when the
 *     task record, any task record, or a pending unit attention exists for the I_T_L nexus, else
 *     FUNCTION COMPLETE (SAM-5 QUERY TASK, QUERY TASK SET, QUERY ASYNCHRONOUS EVENT).</li>
 * <li>CLEAR ACA is FUNCTION NOT SUPPORTED: NORMACA is 0, NACA = 1 and the ACA task attribute are
 *     refused, so ACA is never established.</li>
 * </ul>
 */
final class TaskManager {
    /** Logs as the daemon: task management is known by that name. */
    private static final Logger LOG = LoggerFactory.getLogger(TargetDaemon.class);

    private TaskManager() {
    }

    /**
     * Performs {@code function} and answers it through {@code w}, now or when the last task it
     * ended has left its task set.
     */
    static void execute(Nexus nexus, TaskManagementFunction function, long lunField, int referencedTag,
                        TaskRouter router, Wait w) {
        nexus.counters().countTaskManagement(function);
        w.arm(perform(nexus, function, lunField, referencedTag, router, w));
    }

    private static TmfResponse perform(Nexus nexus, TaskManagementFunction function, long lunField, int referencedTag,
                                       TaskRouter router, Wait w) {
        Target target = nexus.target();
        int lun = nexus.targetLun(LunAddress.decode(lunField));
        LogicalUnit unit = lun == LunAddress.UNADDRESSABLE ? null : target.lun(lun);
        switch (function) {
            case ABORT_TASK:
                if (unit == null) {
                    return TmfResponse.LUN_DOES_NOT_EXIST;
                }
                return end(unit, nexus, false, referencedTag, router, w) > 0
                        ? TmfResponse.FUNCTION_COMPLETE : TmfResponse.TASK_DOES_NOT_EXIST;
            case ABORT_TASK_SET:
                if (unit == null) {
                    return TmfResponse.LUN_DOES_NOT_EXIST;
                }
                end(unit, nexus, true, 0, router, w);
                return TmfResponse.FUNCTION_COMPLETE;
            case CLEAR_TASK_SET:
                if (unit == null) {
                    return TmfResponse.LUN_DOES_NOT_EXIST;
                }
                clearAll(unit, nexus, router, w);
                return TmfResponse.FUNCTION_COMPLETE;
            case CLEAR_ACA:
                return TmfResponse.FUNCTION_NOT_SUPPORTED;
            case LOGICAL_UNIT_RESET:
                if (unit == null) {
                    return TmfResponse.LUN_DOES_NOT_EXIST;
                }
                end(unit, null, true, 0, router, w);
                unit.reset();
                target.unitAttentionForAllNexuses(lun, SenseReason.BUS_DEVICE_RESET_FUNCTION_OCCURRED);
                SharedResets.announce(unit, SharedUnitResets.Kind.LOGICAL_UNIT_RESET, w);
                return TmfResponse.FUNCTION_COMPLETE;
            case I_T_NEXUS_RESET:
                for (LogicalUnit u : target.luns()) {
                    end(u, nexus, true, 0, router, w);
                    u.nexusLost(nexus);
                    nexus.unitAttentions().establish(u.lun(), SenseReason.I_T_NEXUS_LOSS_OCCURRED);
                }
                return TmfResponse.FUNCTION_COMPLETE;
            case TARGET_WARM_RESET:
            case TARGET_COLD_RESET:
                for (LogicalUnit u : target.luns()) {
                    end(u, null, true, 0, router, w);
                    u.reset();
                    target.unitAttentionForAllNexuses(u.lun(), SenseReason.POWER_ON_RESET_OR_BUS_DEVICE_RESET_OCCURRED);
                    SharedResets.announce(u, SharedUnitResets.Kind.TARGET_RESET, w);
                }
                return TmfResponse.FUNCTION_COMPLETE;
            case QUERY_TASK:
                if (unit == null) {
                    return TmfResponse.LUN_DOES_NOT_EXIST;
                }
                return nexus.tasks().lunOfTag(nexus, referencedTag) == lun
                        ? TmfResponse.FUNCTION_SUCCEEDED : TmfResponse.FUNCTION_COMPLETE;
            case QUERY_TASK_SET:
                if (unit == null) {
                    return TmfResponse.LUN_DOES_NOT_EXIST;
                }
                return nexus.tasks().count(nexus, lun) > 0 ? TmfResponse.FUNCTION_SUCCEEDED : TmfResponse.FUNCTION_COMPLETE;
            case QUERY_ASYNC_EVENT:
                if (unit == null) {
                    return TmfResponse.LUN_DOES_NOT_EXIST;
                }
                return nexus.unitAttentions().peek(lun) != null ? TmfResponse.FUNCTION_SUCCEEDED : TmfResponse.FUNCTION_COMPLETE;
            default:
                return TmfResponse.FUNCTION_NOT_SUPPORTED;
        }
    }

    /** CLEAR TASK SET: every task of the unit; other nexuses that lost tasks are told by a unit attention. */
    private static void clearAll(LogicalUnit unit, Nexus nexus, TaskRouter router, Wait w) {
        Set<Nexus> others = new HashSet<>();
        for (Nexus n : nexus.target().nexuses()) {
            if (n != nexus && unit.tasks().count(n) > 0) {
                others.add(n);
            }
        }
        end(unit, null, true, 0, router, w);
        for (Nexus n : others) {
            n.unitAttentions().establish(unit.lun(), SenseReason.COMMANDS_CLEARED_BY_ANOTHER_INITIATOR);
        }
    }

    /**
     * Ends the tasks of {@code nexus} (all nexuses if null) on {@code unit} that {@code tag}
     * names (all if {@code allTags}); {@code w} (if not null) waits for those still running.
     *
     * @return how many tasks were aborted
     */
    static int end(LogicalUnit unit, Nexus nexus, boolean allTags, int tag, TaskRouter router, Wait w) {
        TaskSet.Ended out = new TaskSet.Ended();
        int n = unit.tasks().abort(nexus, allTags, tag, null, unit.workers(), w, out);
        router.endRemoved(out);
        return n;
    }

    /**
     * Ends every task of {@code unit} from {@code nexus} (every nexus if null) for a function
     * another gateway performed (its PREEMPT AND ABORT, its reset): no function here waits for
     * them, and the removed tasks are answered as aborted through their own router, on the
     * caller's thread, as asynchronous completions answer.
     *
     * @return the number of tasks ended
     */
    static int endRemote(LogicalUnit unit, Nexus nexus) {
        TaskSet.Ended out = new TaskSet.Ended();
        int n = unit.tasks().abort(nexus, true, 0, null, unit.workers(), null, out);
        if (out.removed != null && out.removed.router != null) {
            out.removed.router.endRemoved(out);
        }
        return n;
    }

    /**
     * One task management function waiting for the tasks it ended: its response goes out when
     * it is {@link #arm armed} and every task {@link #add added} has left its task set,
     * whichever comes last, on that thread. TMFs are rare: this allocates.
     */
    static final class Wait {
        private final int hostNo;
        private final long mid;
        private final long nexusId;
        private final TaskManagementFunction function;
        private final TransportEndpoint from;
        /** Tasks still to leave, plus one until armed. */
        private final AtomicInteger pending = new AtomicInteger(1);
        private volatile TmfResponse response;
        private int waitedFor;

        Wait(int hostNo, long mid, long nexusId, TaskManagementFunction function, TransportEndpoint from) {
            this.hostNo = hostNo;
            this.mid = mid;
            this.nexusId = nexusId;
            this.function = function;
            this.from = from;
        }

        /** Waits for {@code t} too; called under its task set's lock, before {@link #arm}. */
        void add(CommandContext t) {
            pending.incrementAndGet();
            waitedFor++;
            t.addWaiter(this);
        }

        /** Waits for one more thing before answering (another gateway's reset); ended by {@link #taskEnded}. */
        void hold() {
            pending.incrementAndGet();
        }

        /** The function is done; answers now unless tasks it ended are still running. */
        void arm(TmfResponse r) {
            response = r;
            if (pending.decrementAndGet() == 0) {
                answer();
            }
        }

        /** A task this function waits for has left its task set. */
        void taskEnded() {
            if (pending.decrementAndGet() == 0) {
                answer();
            }
        }

        private void answer() {
            TmfResponse r = response;
            if (waitedFor > 0) {
                LOG.info("host {} nexus {}: {} -> {} (after {} task(s) it waited for had ended)", hostNo, nexusId,
                        function, r, waitedFor);
            } else {
                LOG.info("host {} nexus {}: {} -> {}", hostNo, nexusId, function, r);
            }
            ByteBuffer rec = ByteBuffer.allocate(EventHeader.MAX_RECORD_LENGTH);
            TskMgmtRspEvent.write(rec, 0, hostNo, mid, r);
            if (!from.send(rec, 0, TskMgmtRspEvent.LENGTH)) {
                LOG.debug("host {}: task management response {} not sent, the endpoint is closed", hostNo, mid);
            }
        }
    }
}

package org.jtgt.transport.shm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.jtgt.api.event.CmdDoneEvent;
import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.CmdRspEvent;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;
import org.jtgt.api.event.ItNexusReqEvent;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.event.TskMgmtReqEvent;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.event.TskMgmtRspEvent;
import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.scsi.SenseBuilder;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.transport.DataArea;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.Transport;
import org.jtgt.api.transport.TransportEndpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host side's endpoint in the front process of the split shape. The daemon runs in another
 * process and may die or be replaced at any moment; the host side must not notice beyond a pause.
 * So every request goes through the {@link CommandJournal} before it goes on the ring, and leaves
 * it when the daemon is done with it (a command at its {@code KEVENT_CMD_DONE}, a TMF or nexus
 * request at its answer). While no daemon is attached, requests are only journaled. When a daemon
 * attaches (a new generation, fresh rings), the endpoint gives it the nexuses that exist (their
 * answers are the endpoint's own, the host side never sees them), then every journaled request in
 * the order the host sent it: commands that may be executed again as they were
 * ({@link RepeatableCommands}), the others answered here with ABORTED COMMAND 08h/00h.
 *
 * <p>Threads: host threads call {@link #offer}/{@link #send}; the generation's line delivers the
 * daemon's answers ({@link #onEvent}); the front's link thread calls {@link #linked} and
 * {@link #unlinked}. One lock guards the journal, the state and producing into the ring.
 */
final class FrontEndpoint implements TransportEndpoint, EventSink {
    private static final Logger LOG = LoggerFactory.getLogger(FrontEndpoint.class);
    private static final long REPLAY_SEND_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long SEND_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    /** An I_T nexus the daemon created: what a new daemon is told to create again. */
    private record Nexus(int hostNo, long id, int relativePort, byte[] names) {
    }

    private final FrontShm owner;
    private final DataArea area;
    private final EventSink hostSink;
    private final Object lock = new Object();
    private final CommandJournal journal;
    private final Map<NexusKey, Nexus> creating = new LinkedHashMap<>();
    private final Map<NexusKey, Nexus> live = new LinkedHashMap<>();
    /** Replayed creates waiting for their answer, with the names' place in the data area. */
    private final Map<NexusKey, long[]> replaying = new LinkedHashMap<>();
    private final ByteBuffer scratch = ByteBuffer.allocate(EventHeader.MAX_RECORD_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    private final byte[] sense = new byte[SenseBuilder.FIXED_LENGTH];

    /** The current generation's way to the daemon, null while no daemon is attached. */
    private DaemonLine toDaemon;
    private long generation;
    private boolean linked;
    /** The front's framework is stopping: no daemon that attaches later will be there to answer. */
    private boolean stopping;
    private volatile boolean open = true;

    FrontEndpoint(FrontShm owner, DataArea area, EventSink hostSink, int journalCapacity) {
        this.owner = owner;
        this.area = area;
        this.hostSink = hostSink;
        this.journal = new CommandJournal(journalCapacity);
    }

    // ---- host → daemon ----

    @Override
    public boolean offer(ByteBuffer src, int offset, int length) {
        int type = EventHeader.type(src, offset);
        int hostNo = EventHeader.hostNo(src, offset);
        synchronized (lock) {
            if (!open) {
                return false;
            }
            if (type == EventType.KEVENT_CMD_DONE.code()) {
                return done(src, offset, length, hostNo);
            }
            int kind;
            long key;
            if (type == EventType.KEVENT_CMD_REQ.code()) {
                kind = CommandJournal.CMD;
                key = CmdReqEvent.cid(src, offset);
            } else if (type == EventType.KEVENT_TSK_MGMT_REQ.code()) {
                kind = CommandJournal.TMF;
                key = TskMgmtReqEvent.mid(src, offset);
            } else if (type == EventType.KEVENT_IT_NEXUS_REQ.code()) {
                key = ItNexusReqEvent.nexusId(src, offset);
                if (ItNexusReqEvent.op(src, offset) == ItNexusReqEvent.OP_CREATE) {
                    kind = CommandJournal.NEXUS_CREATE;
                    creating.put(new NexusKey(hostNo, key), new Nexus(hostNo, key,
                            ItNexusReqEvent.relativePort(src, offset), names(src, offset)));
                } else {
                    kind = CommandJournal.NEXUS_DESTROY;
                }
            } else {
                // Not a request type: the daemon will refuse it as the protocol says.
                return linked && toDaemon.offer(src, offset, length);
            }
            if (stopping && !linked) {
                return false; // nobody will answer it: the host keeps it queued and fails it as it stops
            }
            int e = journal.add(kind, hostNo, key, src, offset, length);
            if (e < 0) {
                return false; // full: the host keeps it queued, as with a full ring
            }
            if (!linked) {
                return true; // the next daemon gets it
            }
            if (!toDaemon.offer(src, offset, length)) {
                journal.remove(e);
                return false;
            }
            journal.sent(e);
            return true;
        }
    }

    /** KEVENT_CMD_DONE: only the daemon that answered the command hears of it. */
    private boolean done(ByteBuffer src, int offset, int length, int hostNo) {
        // toDaemon, not linked: during a replay the new daemon answers and hears of its DONEs.
        DaemonLine ring = toDaemon;
        int e = journal.find(CommandJournal.CMD, hostNo, CmdDoneEvent.cid(src, offset));
        if (e < 0) {
            return ring == null || ring.offer(src, offset, length);
        }
        boolean forward = ring != null && journal.state(e) == CommandJournal.ANSWERED
                && journal.answeredIn(e) == generation;
        if (forward && !ring.offer(src, offset, length)) {
            return false; // stays journaled: the host sends it again
        }
        journal.remove(e);
        return true;
    }

    private byte[] names(ByteBuffer src, int offset) {
        int n = ItNexusReqEvent.namesLength(src, offset);
        long at = ItNexusReqEvent.namesOffset(src, offset);
        if (n < 0 || n > ItNexusReqEvent.MAX_NAMES_LENGTH || at < 0 || at + n > area.size()) {
            return new byte[0]; // the daemon refuses the request itself
        }
        byte[] names = new byte[n];
        area.buffer().get((int) at, names, 0, n);
        return names;
    }

    @Override
    public boolean send(ByteBuffer src, int offset, int length) {
        while (open) {
            if (offer(src, offset, length)) {
                return true;
            }
            if (Thread.currentThread().isInterrupted()) {
                return false;
            }
            LockSupport.parkNanos(SEND_SLICE_NANOS / 100);
        }
        return false;
    }

    // ---- daemon → host ----

    @Override
    public void onEvent(ByteBuffer buffer, int offset, int length, TransportEndpoint from) {
        int type = EventHeader.type(buffer, offset);
        int hostNo = EventHeader.hostNo(buffer, offset);
        if (type == EventType.UEVENT_CMD_RSP.code()) {
            synchronized (lock) {
                int e = journal.find(CommandJournal.CMD, hostNo, CmdRspEvent.cid(buffer, offset));
                if (e >= 0 && journal.state(e) == CommandJournal.SENT) {
                    journal.answered(e, generation);
                }
            }
        } else if (type == EventType.UEVENT_TSK_MGMT_RSP.code()) {
            synchronized (lock) {
                int e = journal.find(CommandJournal.TMF, hostNo, TskMgmtRspEvent.mid(buffer, offset));
                if (e >= 0) {
                    journal.remove(e);
                }
            }
        } else if (type == EventType.UEVENT_IT_NEXUS_RSP.code() && nexusAnswer(buffer, offset, hostNo)) {
            return; // the answer to a replayed create: the host side asked nothing
        }
        hostSink.onEvent(buffer, offset, length, this);
    }

    private boolean nexusAnswer(ByteBuffer buffer, int offset, int hostNo) {
        NexusKey key = new NexusKey(hostNo, ItNexusRspEvent.nexusId(buffer, offset));
        int result = ItNexusRspEvent.result(buffer, offset);
        synchronized (lock) {
            long[] names = replaying.remove(key);
            if (names != null) {
                area.free(names[0], (int) names[1]);
                if (result != ItNexusRspEvent.RESULT_OK) {
                    LOG.warn("the new daemon refused to recreate I_T nexus {}:{} ({}); its commands will fail", hostNo,
                            key.id(), result);
                    live.remove(key);
                }
                return true;
            }
            boolean create = ItNexusRspEvent.op(buffer, offset) == ItNexusReqEvent.OP_CREATE;
            int e = journal.find(create ? CommandJournal.NEXUS_CREATE : CommandJournal.NEXUS_DESTROY, hostNo, key.id());
            if (e < 0) {
                // Nothing the host side asked (a daemon ending its nexuses as it stops, say).
                LOG.debug("answer to a nexus request nobody sent here: {}:{} op {} result {}", hostNo, key.id(),
                        ItNexusRspEvent.op(buffer, offset), result);
                return true;
            }
            journal.remove(e);
            if (create) {
                Nexus n = creating.remove(key);
                if (n != null && result == ItNexusRspEvent.RESULT_OK) {
                    live.put(key, n);
                }
            } else {
                live.remove(key);
            }
            return false;
        }
    }

    @Override
    public void onTransportFailure(TransportEndpoint endpoint, String reason) {
        // The daemon broke the ring protocol: it is treated as dead, not as the host's problem.
        owner.daemonMisbehaved(reason);
    }

    // ---- generations ----

    /**
     * The daemon of {@code newGeneration} is reached through {@code down}: start delivering its
     * answers, give it the nexuses and the journal, then let requests through.
     */
    void linked(DaemonLine down, long newGeneration) {
        List<Nexus> nexuses;
        synchronized (lock) {
            generation = newGeneration;
            toDaemon = down;
            nexuses = new ArrayList<>(live.values());
        }
        down.start(this);
        int recreated = 0;
        for (Nexus n : nexuses) {
            if (recreate(down, n)) {
                recreated++;
            }
        }
        int commands = 0;
        int answered = 0;
        while (true) {
            int[] order;
            synchronized (lock) {
                order = journal.unsentInOrder();
                if (order.length == 0) {
                    linked = true;
                    break;
                }
            }
            for (int e : order) {
                int outcome = replay(down, e);
                if (outcome < 0) {
                    LOG.warn("generation {}: the daemon stopped taking requests during the replay", newGeneration);
                    return;
                }
                commands += outcome == 1 ? 1 : 0;
                answered += outcome == 2 ? 1 : 0;
            }
        }
        if (recreated + commands + answered > 0) {
            LOG.info("generation {}: {} I_T nexuses recreated, {} requests given again, {} answered ABORTED COMMAND "
                    + "(not repeatable)", newGeneration, recreated, commands, answered);
        }
    }

    private boolean recreate(DaemonLine down, Nexus n) {
        long at = area.allocate(Math.max(n.names().length, 1));
        if (at < 0) {
            LOG.error("no room in the data area to recreate I_T nexus {}:{}", n.hostNo(), n.id());
            return false;
        }
        area.buffer().put((int) at, n.names(), 0, n.names().length);
        ByteBuffer r = ByteBuffer.allocate(ItNexusReqEvent.LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        ItNexusReqEvent.write(r, 0, n.hostNo(), n.id(), ItNexusReqEvent.OP_CREATE, n.relativePort(), at,
                n.names().length);
        synchronized (lock) {
            replaying.put(new NexusKey(n.hostNo(), n.id()), new long[] {at, Math.max(n.names().length, 1)});
        }
        return down.send(r, 0, r.limit(), REPLAY_SEND_NANOS);
    }

    /** Gives entry {@code e} to the new daemon: 1 sent, 2 answered here, 0 gone meanwhile, -1 ring stuck. */
    private int replay(DaemonLine down, int e) {
        ByteBuffer records = journal.records();
        int at = journal.offset(e);
        int len;
        synchronized (lock) {
            if (journal.state(e) != CommandJournal.UNSENT) {
                return 0;
            }
            len = journal.length(e);
            if (journal.kind(e) == CommandJournal.CMD
                    && !RepeatableCommands.repeatable(CmdReqEvent.cdbByte(records, at, 0), CmdReqEvent.cdbByte(records, at, 1))) {
                // Answered here; generation 0 never matches, so its KEVENT_CMD_DONE stops here too.
                journal.answered(e, 0);
                scratch.clear();
                CmdRspEvent.write(scratch, 0, EventHeader.hostNo(records, at), CmdReqEvent.cid(records, at),
                        CmdReqEvent.dataOffset(records, at), 0, CmdReqEvent.expectedLength(records, at),
                        ScsiStatus.CHECK_CONDITION);
                int n = SenseBuilder.fixed(sense, 0, SenseKey.ABORTED_COMMAND, 0x08, 0x00);
                CmdRspEvent.putSense(scratch, 0, sense, n);
                len = -1;
            } else {
                journal.sent(e);
            }
        }
        if (len < 0) {
            // Outside the lock: the host side takes its own locks, and its threads take this one.
            hostSink.onEvent(scratch, 0, CmdRspEvent.LENGTH, this);
            return 2;
        }
        return down.send(records, at, len, REPLAY_SEND_NANOS) ? 1 : -1;
    }

    /**
     * A planned stop of the daemon: new requests are journaled for the next one, and this waits
     * (at most {@code timeoutNanos}) until the leaving daemon has answered every request it has.
     *
     * @return how many it did not answer in time
     */
    int leaving(long timeoutNanos) {
        synchronized (lock) {
            linked = false;
        }
        long deadline = System.nanoTime() + timeoutNanos;
        while (true) {
            int unanswered = 0;
            synchronized (lock) {
                unanswered = journal.count(CommandJournal.SENT);
            }
            if (unanswered == 0 || System.nanoTime() > deadline) {
                return unanswered;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /**
     * The daemon is gone: stop producing, take in what it answered completely, and mark what it
     * did not answer for the next one. Returns when nothing of this generation is used any more.
     */
    void unlinked() {
        DaemonLine l;
        synchronized (lock) {
            linked = false;
            l = toDaemon;
            toDaemon = null;
        }
        if (l != null) {
            l.stop(true);
        }
        synchronized (lock) {
            int again = journal.unsendAll();
            for (long[] names : replaying.values()) {
                area.free(names[0], (int) names[1]);
            }
            replaying.clear();
            if (again > 0 && !stopping) {
                LOG.info("{} requests kept for the next daemon", again);
            }
        }
        boolean answerHere;
        synchronized (lock) {
            answerHere = stopping;
        }
        if (answerHere) {
            answerJournalHere();
        }
    }

    /**
     * The front's framework is stopping. If no daemon is attached (or once the attached one is
     * gone), nothing will ever answer what the journal holds, and the host side, which drains its
     * transport as it stops, would wait its whole drain timeout for it: so the front answers it
     * here, as a failure (commands CHECK CONDITION ABORTED COMMAND 08h/00h, TMFs FUNCTION REJECTED,
     * nexus creations refused; a nexus destruction is done, the nexus is gone with the sessions).
     * A daemon that is attached answers as usual.
     */
    void frontStopping() {
        synchronized (lock) {
            stopping = true;
            if (toDaemon != null) {
                return;
            }
        }
        answerJournalHere();
    }

    private void answerJournalHere() {
        // Not the hot path (once, at stop): its own buffers, so a replay on the link thread is not disturbed.
        ByteBuffer answer = ByteBuffer.allocate(EventHeader.MAX_RECORD_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        byte[] senseBytes = new byte[SenseBuilder.FIXED_LENGTH];
        int answered = 0;
        while (true) {
            int len;
            synchronized (lock) {
                if (toDaemon != null) {
                    break; // a daemon attached after all: it has the rest
                }
                int[] order = journal.unsentInOrder();
                if (order.length == 0) {
                    break;
                }
                len = answerHere(order[0], answer, senseBytes);
            }
            // Outside the lock: the host side takes its own locks, and its threads take this one.
            hostSink.onEvent(answer, 0, len, this);
            answered++;
        }
        if (answered > 0) {
            LOG.info("the front stops with no daemon attached: {} journaled requests answered here", answered);
        }
    }

    /** Writes the front's own answer to entry {@code e} into {@code answer}; returns its length. Holds the lock. */
    private int answerHere(int e, ByteBuffer answer, byte[] senseBytes) {
        ByteBuffer records = journal.records();
        int at = journal.offset(e);
        int hostNo = journal.hostNo(e);
        long id = journal.id(e);
        answer.clear();
        switch (journal.kind(e)) {
            case CommandJournal.CMD -> {
                journal.answered(e, 0); // generation 0 never matches: its KEVENT_CMD_DONE ends here
                CmdRspEvent.write(answer, 0, hostNo, id, CmdReqEvent.dataOffset(records, at), 0,
                        CmdReqEvent.expectedLength(records, at), ScsiStatus.CHECK_CONDITION);
                int n = SenseBuilder.fixed(senseBytes, 0, SenseKey.ABORTED_COMMAND, 0x08, 0x00);
                CmdRspEvent.putSense(answer, 0, senseBytes, n);
                return CmdRspEvent.LENGTH;
            }
            case CommandJournal.TMF -> {
                journal.remove(e);
                TskMgmtRspEvent.write(answer, 0, hostNo, id, TmfResponse.FUNCTION_REJECTED);
                return TskMgmtRspEvent.LENGTH;
            }
            case CommandJournal.NEXUS_CREATE -> {
                journal.remove(e);
                creating.remove(new NexusKey(hostNo, id));
                ItNexusRspEvent.write(answer, 0, hostNo, id, ItNexusRspEvent.RESULT_EXISTS, ItNexusReqEvent.OP_CREATE);
                return ItNexusRspEvent.LENGTH;
            }
            default -> {
                journal.remove(e);
                live.remove(new NexusKey(hostNo, id));
                ItNexusRspEvent.write(answer, 0, hostNo, id, ItNexusRspEvent.RESULT_OK, ItNexusReqEvent.OP_DESTROY);
                return ItNexusRspEvent.LENGTH;
            }
        }
    }

    int journaled() {
        synchronized (lock) {
            return journal.size();
        }
    }

    @Override public DataArea dataArea() { return area; }
    @Override public Transport transport() { return owner; }
    @Override public boolean isOpen() { return open; }

    @Override
    public void close() {
        DaemonLine l;
        synchronized (lock) {
            if (!open) {
                return;
            }
            open = false;
            linked = false;
            l = toDaemon;
            toDaemon = null;
        }
        if (l != null) {
            l.stop(false);
        }
        owner.detached(this);
    }

    @Override
    public String toString() {
        return "split front endpoint (generation " + generation + ")";
    }
}

package org.jtgt.daemon;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.event.CmdDoneEvent;
import org.jtgt.api.event.EventFormatException;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;
import org.jtgt.api.event.ItNexusReqEvent;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.event.TskMgmtReqEvent;
import org.jtgt.api.event.TskMgmtRspEvent;
import org.jtgt.api.file.OwnerOnlyFiles;
import org.jtgt.api.store.BackingStore;
import org.jtgt.api.target.IoStatistics;
import org.jtgt.api.target.LunOptions;
import org.jtgt.api.target.NexusInfo;
import org.jtgt.api.target.TargetAdmin;
import org.jtgt.api.target.TargetAdminException;
import org.jtgt.api.target.TargetInfo;
import org.jtgt.api.target.TargetPorts;
import org.jtgt.api.transport.DataArea;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.Transport;
import org.jtgt.api.transport.TransportEndpoint;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The target daemon (tgtd): receives events from every bound transport, owns targets, LUNs and
 * I_T nexuses, runs the SCSI semantics inline on the delivering thread and answers through the
 * endpoint each event came from.
 *
 * <h2>Threads</h2>
 * Events arrive on the transports' threads, administration from anywhere. The event path takes
 * no lock for commands: targets, LUN maps and the nexus table are immutable snapshots behind
 * volatile fields, replaced under {@link #lock} by administration and nexus login/logout. Each
 * delivering thread owns one preallocated {@link CommandContext}.
 *
 * <h2>Transports</h2>
 * A greedy, dynamic, multiple reference: every transport service gets the daemon attached. On
 * unbind the endpoint is only forgotten, never closed: the transport closes it in its own
 * deactivate after the host side, another consumer of the same service event, has drained what
 * is outstanding, and until then the daemon keeps answering on it (the order in which consumers
 * see an unregistration is undefined).
 */
@Component(service = {TargetAdmin.class, TargetPorts.class}, immediate = true)
public final class TargetDaemon implements EventSink, TargetAdmin, TargetPorts {
    private static final Logger LOG = LoggerFactory.getLogger(TargetDaemon.class);

    /** What one command may carry by default; Block Limits reports it in blocks. */
    public static final int DEFAULT_MAX_TRANSFER_BYTES = 8 << 20;
    /** How long removing a LUN waits for its running commands before closing the store anyway. */
    static final long RETIRE_TIMEOUT_MILLIS = 30_000;
    static final int MIN_LUN = 0;
    static final int MAX_LUN = LunAddress.MAX_LUN;
    static final int BLOCK_SIZE_512 = 512;
    static final int BLOCK_SIZE_4096 = 4096;

    private final Object lock = new Object();
    /** Name → target; replaced whole under {@link #lock}. */
    private volatile Map<String, Target> targets = Map.of();
    private final NexusTable nexuses = new NexusTable();
    /** The target ports drivers registered; changed under {@link #lock}. */
    private final PortTable ports = new PortTable();
    /** One task table per SCSI host with nexuses; replaced whole under {@link #lock}. */
    private volatile TaskTable[] hosts = new TaskTable[0];
    private final Map<Transport, TransportEndpoint> endpoints = new ConcurrentHashMap<>();
    private final ThreadLocal<CommandContext> contexts = ThreadLocal.withInitial(CommandContext::new);
    private final WarningThrottle warnings = new WarningThrottle(10, TimeUnit.SECONDS.toNanos(10));
    private final TaskRouter router;
    private final int maxTransferBytes;
    /**
     * Where persistent reservations with APTPL are kept ({@link AptplFile}); {@code null}: nowhere,
     * and APTPL = 1 is refused (PTPL_C = 0).
     */
    private volatile Path stateDir;

    /** Framework property naming the configuration directory (the launcher's {@code --config}), as the admin bundle reads it. */
    public static final String CONFIG_DIR_PROPERTY = "jtgt.config.dir";

    public TargetDaemon() {
        this(DEFAULT_MAX_TRANSFER_BYTES);
    }

    /** @param maxTransferBytes the most one command may read or write (Block Limits VPD) */
    TargetDaemon(int maxTransferBytes) {
        if (maxTransferBytes < BLOCK_SIZE_4096) {
            throw new IllegalArgumentException("maximum transfer " + maxTransferBytes + " is below one block");
        }
        this.maxTransferBytes = maxTransferBytes;
        this.router = new TaskRouter(nexuses, CommandTable.blockDevice(), warnings, ports);
    }

    /** The state directory: {@code jtgt.config.dir} when set, else this bundle's data area. */
    @Activate
    void activate(BundleContext context) {
        String dir = context.getProperty(CONFIG_DIR_PROPERTY);
        File data = dir == null ? context.getDataFile("") : null;
        stateDirectory(dir != null ? Path.of(dir) : data != null ? data.toPath() : null);
    }

    /** Sets where APTPL state lives, for units added from now on. */
    void stateDirectory(Path dir) {
        stateDir = dir;
        if (dir == null) {
            LOG.info("No state directory: persistent reservations are not kept across restarts (PTPL_C = 0)");
        } else {
            LOG.info("Persistent reservations with APTPL are kept in {}", dir.resolve(AptplFile.DIRECTORY));
            if (!OwnerOnlyFiles.supported(dir)) {
                LOG.debug("{} has no POSIX permissions: reservation files get the file system's default mode", dir);
            }
        }
    }

    // =========================== transports ===========================

    @Reference(name = "transport", service = Transport.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            unbind = "unbindTransport")
    void bindTransport(Transport transport, Map<String, Object> properties) {
        String name = String.valueOf(properties.get(Transport.NAME_PROPERTY));
        try {
            TransportEndpoint endpoint = transport.attachDaemon(this);
            endpoints.put(transport, endpoint);
            LOG.info("Attached to transport {}", name);
        } catch (IOException | RuntimeException e) {
            LOG.error("Cannot attach to transport {}; it stays unused", name, e);
        }
    }

    void unbindTransport(Transport transport, Map<String, Object> properties) {
        if (endpoints.remove(transport) != null) {
            // Not closed here: the transport closes it after the host side has drained.
            LOG.info("Transport {} went away; answering on its endpoint until it closes",
                    properties.get(Transport.NAME_PROPERTY));
        }
    }

    @Deactivate
    void deactivate() {
        List<TransportEndpoint> open = new ArrayList<>(endpoints.values());
        endpoints.clear();
        for (TransportEndpoint e : open) {
            e.close();
        }
        List<LogicalUnit> units = new ArrayList<>();
        synchronized (lock) {
            for (Target t : targets.values()) {
                for (Nexus n : t.nexuses()) {
                    dropNexus(n);
                }
                units.addAll(Arrays.asList(t.luns()));
            }
            targets = Map.of();
        }
        for (LogicalUnit u : units) {
            retire(u);
        }
        LOG.info("Target daemon stopped; {} logical unit(s) closed", units.size());
    }

    // =========================== events ===========================

    @Override
    public void onEvent(ByteBuffer buffer, int offset, int length, TransportEndpoint from) {
        CommandContext c = contexts.get();
        try {
            EventType type = EventType.fromCode(EventHeader.type(buffer, offset));
            if (type == null) {
                return;   // the transport validated the header; nothing else can get here
            }
            switch (type) {
                case KEVENT_CMD_REQ:
                    router.execute(buffer, offset, from, c);
                    break;
                case KEVENT_CMD_DONE:
                    commandDone(buffer, offset);
                    break;
                case KEVENT_TSK_MGMT_REQ:
                    taskManagement(buffer, offset, from, c);
                    break;
                case KEVENT_IT_NEXUS_REQ:
                    nexusRequest(buffer, offset, from, c);
                    break;
                default:
                    if (warnings.admit()) {
                        LOG.warn("Ignoring {}: it travels from the daemon, not to it", type);
                    }
            }
        } catch (RuntimeException e) {
            if (warnings.admit()) {
                LOG.warn("Event at offset {} dropped after an internal error", offset, e);
            }
        }
    }

    @Override
    public void onTransportFailure(TransportEndpoint endpoint, String reason) {
        LOG.error("Transport {} failed: {}", endpoint.transport() == null ? "?" : endpoint.transport().name(), reason);
        endpoints.values().remove(endpoint);
    }

    private void commandDone(ByteBuffer b, int o) {
        int hostNo = EventHeader.hostNo(b, o);
        long cid = CmdDoneEvent.cid(b, o);
        TaskTable tasks = host(hostNo);
        if ((tasks == null || !tasks.remove(cid)) && LOG.isDebugEnabled()) {
            LOG.debug("KEVENT_CMD_DONE for unknown cid {} on host {}", cid, hostNo);
        }
    }

    private TaskTable host(int hostNo) {
        for (TaskTable t : hosts) {
            if (t.hostNo() == hostNo) {
                return t;
            }
        }
        return null;
    }

    private void taskManagement(ByteBuffer b, int o, TransportEndpoint from, CommandContext c) {
        int hostNo = EventHeader.hostNo(b, o);
        long mid = TskMgmtReqEvent.mid(b, o);
        long nexusId = TskMgmtReqEvent.nexusId(b, o);
        TmfResponse response;
        TaskManagementFunction function = null;
        try {
            TskMgmtReqEvent.validate(b, o);
            function = TaskManagementFunction.fromCode(TskMgmtReqEvent.function(b, o));
            Nexus nexus = nexuses.get(hostNo, nexusId);
            response = nexus == null ? TmfResponse.FUNCTION_REJECTED
                    : TaskManager.execute(nexus, function, TskMgmtReqEvent.lun(b, o), TskMgmtReqEvent.referencedTag(b, o));
        } catch (EventFormatException e) {
            if (warnings.admit()) {
                LOG.warn("host {}: task management mid {} refused: {}", hostNo, mid, e.getMessage());
            }
            response = TmfResponse.FUNCTION_NOT_SUPPORTED;
        }
        LOG.info("host {} nexus {}: {} -> {}", hostNo, nexusId, function, response);
        TskMgmtRspEvent.write(c.record, 0, hostNo, mid, response);
        if (!from.send(c.record, 0, TskMgmtRspEvent.LENGTH)) {
            LOG.debug("host {}: task management response {} not sent, the endpoint is closed", hostNo, mid);
        }
    }

    private void nexusRequest(ByteBuffer b, int o, TransportEndpoint from, CommandContext c) {
        int hostNo = EventHeader.hostNo(b, o);
        long nexusId = ItNexusReqEvent.nexusId(b, o);
        int op = ItNexusReqEvent.op(b, o);
        int result;
        try {
            ItNexusReqEvent.validate(b, o, from.dataArea().size());
            result = op == ItNexusReqEvent.OP_CREATE
                    ? createNexus(hostNo, nexusId, ItNexusReqEvent.relativePort(b, o), b, o, from.dataArea(), c)
                    : destroyNexus(hostNo, nexusId);
        } catch (EventFormatException e) {
            if (warnings.admit()) {
                LOG.warn("host {}: nexus request {} refused: {}", hostNo, nexusId, e.getMessage());
            }
            result = op == ItNexusReqEvent.OP_DESTROY ? ItNexusRspEvent.RESULT_NO_SUCH_NEXUS : ItNexusRspEvent.RESULT_NO_SUCH_TARGET;
        }
        ItNexusRspEvent.write(c.record, 0, hostNo, nexusId, result, op);
        if (!from.send(c.record, 0, ItNexusRspEvent.LENGTH)) {
            LOG.debug("host {}: nexus response {} not sent, the endpoint is closed", hostNo, nexusId);
        }
    }

    /**
     * Reads {@code initiator-port-name NUL target-name} (UTF-8; trailing NULs ignored) and admits
     * the nexus if the target exists, its ACL admits the initiator and the id is new. No unit
     * attention is established for a new nexus (as Linux tgt and LIO do; initiators handle both).
     */
    private int createNexus(int hostNo, long nexusId, int relativePort, ByteBuffer b, int o, DataArea area, CommandContext c) {
        int length = ItNexusReqEvent.namesLength(b, o);
        long offset = ItNexusReqEvent.namesOffset(b, o);
        ByteBuffer data = c.data(area);
        if (offset + length > data.capacity()) {
            throw new EventFormatException("KEVENT_IT_NEXUS_REQ: names beyond the data area buffer");
        }
        data.get((int) offset, c.names, 0, length);
        String[] names = parseNames(c.names, length);
        if (names == null) {
            if (warnings.admit()) {
                LOG.warn("host {}: nexus {} refused: the names are not 'initiator NUL target' in UTF-8", hostNo, nexusId);
            }
            return ItNexusRspEvent.RESULT_NO_SUCH_TARGET;
        }
        String initiator = names[0];
        String targetName = names[1];
        int result;
        synchronized (lock) {
            Target target = targets.get(targetName);
            if (target == null || target.closed()) {
                result = ItNexusRspEvent.RESULT_NO_SUCH_TARGET;
            } else if (!target.admits(initiator)) {
                result = ItNexusRspEvent.RESULT_ACCESS_DENIED;
            } else if (nexuses.get(hostNo, nexusId) != null) {
                result = ItNexusRspEvent.RESULT_EXISTS;
            } else {
                TaskTable tasks = host(hostNo);
                if (tasks == null) {
                    tasks = new TaskTable(hostNo);
                    TaskTable[] next = Arrays.copyOf(hosts, hosts.length + 1);
                    next[hosts.length] = tasks;
                    hosts = next;
                }
                Nexus nexus = new Nexus(hostNo, nexusId, target, initiator, relativePort, tasks);
                nexuses.add(nexus);
                target.addNexus(nexus);
                result = ItNexusRspEvent.RESULT_OK;
            }
        }
        if (result == ItNexusRspEvent.RESULT_OK) {
            LOG.info("I_T nexus {}:{} created: {} -> {} (relative port {})", hostNo, nexusId, initiator, targetName, relativePort);
        } else {
            LOG.info("I_T nexus {}:{} refused ({}): {} -> {}", hostNo, nexusId, result, initiator, targetName);
        }
        return result;
    }

    /** The two names, or {@code null} if the blob is not two non-empty UTF-8 names split by NUL. */
    static String[] parseNames(byte[] blob, int length) {
        int end = length;
        while (end > 0 && blob[end - 1] == 0) {
            end--;
        }
        int nul = -1;
        for (int i = 0; i < end; i++) {
            if (blob[i] == 0) {
                nul = i;
                break;
            }
        }
        if (nul <= 0 || nul == end - 1) {
            return null;
        }
        try {
            var decoder = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            CharBuffer initiator = decoder.decode(ByteBuffer.wrap(blob, 0, nul));
            decoder.reset();
            CharBuffer target = decoder.decode(ByteBuffer.wrap(blob, nul + 1, end - nul - 1));
            String t = target.toString();
            if (t.indexOf(0) >= 0) {
                return null;
            }
            return new String[] {initiator.toString(), t};
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private int destroyNexus(int hostNo, long nexusId) {
        Nexus nexus;
        synchronized (lock) {
            nexus = nexuses.get(hostNo, nexusId);
            if (nexus == null) {
                return ItNexusRspEvent.RESULT_NO_SUCH_NEXUS;
            }
            dropNexus(nexus);
        }
        LOG.info("I_T nexus {}:{} destroyed: {} -> {}", hostNo, nexusId, nexus.initiatorPortName(), nexus.target().name());
        return ItNexusRspEvent.RESULT_OK;
    }

    /**
     * Lock held. Forgets a nexus and its task records; drops its host's table when empty. This is
     * I_T nexus loss for the target's units: the nexus's reservations and preventions of medium
     * removal end with it.
     */
    private void dropNexus(Nexus nexus) {
        nexuses.remove(nexus);
        nexus.target().removeNexus(nexus);
        for (LogicalUnit u : nexus.target().luns()) {
            u.nexusLost(nexus);
        }
        TaskTable tasks = nexus.tasks();
        tasks.removeAll(nexus);
        if (nexuses.countOnHost(nexus.hostNo()) == 0 && tasks.size() == 0) {
            List<TaskTable> keep = new ArrayList<>(Arrays.asList(hosts));
            keep.remove(tasks);
            hosts = keep.toArray(new TaskTable[0]);
        }
    }

    // =========================== TargetAdmin ===========================

    @Override
    public void createTarget(String name) {
        String problem = IscsiNames.check(name);
        if (problem != null) {
            throw new TargetAdminException(problem);
        }
        synchronized (lock) {
            if (targets.containsKey(name)) {
                throw new TargetAdminException("target " + name + " exists already");
            }
            Map<String, Target> next = new HashMap<>(targets);
            next.put(name, new Target(name));
            targets = Map.copyOf(next);
        }
        LOG.info("Target {} created", name);
    }

    @Override
    public void deleteTarget(String name, boolean force) {
        Target target;
        List<Nexus> ended;
        synchronized (lock) {
            target = requireTarget(name);
            ended = Arrays.asList(target.nexuses());
            if (!ended.isEmpty() && !force) {
                throw new TargetAdminException("target " + name + " has " + ended.size()
                        + " I_T nexus(es); log the initiators out first or delete with force");
            }
            for (Nexus n : ended) {
                dropNexus(n);
            }
            Map<String, Target> next = new HashMap<>(targets);
            next.remove(name);
            targets = Map.copyOf(next);
        }
        for (LogicalUnit u : target.luns()) {
            retire(u);
        }
        LOG.info("Target {} deleted ({} LUN(s) closed, {} I_T nexus(es) ended)", name, target.luns().length, ended.size());
    }

    @Override
    public void closeTarget(String name) {
        synchronized (lock) {
            requireTarget(name).closed(true);
        }
        LOG.info("Target {} closed to new I_T nexuses", name);
    }

    @Override
    public void reopenTarget(String name) {
        synchronized (lock) {
            requireTarget(name).closed(false);
        }
        LOG.info("Target {} open to new I_T nexuses again", name);
    }

    @Override
    public void addLun(String targetName, int lun, BackingStore store, int blockSize, LunOptions options) {
        Objects.requireNonNull(store, "store");
        LunOptions opts = options == null ? LunOptions.DEFAULT : options;
        if (lun < MIN_LUN || lun > MAX_LUN) {
            throw new TargetAdminException("LUN " + lun + " is outside " + MIN_LUN + ".." + MAX_LUN);
        }
        if (blockSize != BLOCK_SIZE_512 && blockSize != BLOCK_SIZE_4096) {
            throw new TargetAdminException("block size " + blockSize + " is not supported; use 512 or 4096");
        }
        long size = store.size();
        if (size <= 0 || size % blockSize != 0) {
            throw new TargetAdminException("backing store " + store.describe() + " has " + size
                    + " bytes; it must be a positive multiple of the block size " + blockSize);
        }
        String serialProblem = LogicalUnit.checkSerial(opts.serial());
        if (serialProblem != null) {
            throw new TargetAdminException(serialProblem);
        }
        String physicalProblem = LogicalUnit.checkPhysicalBlockSize(opts.physicalBlockSize(), blockSize);
        if (physicalProblem != null) {
            throw new TargetAdminException(physicalProblem);
        }
        provision(store, opts.thin(), "target " + targetName + " LUN " + lun + " not added: ");
        LogicalUnit unit = new LogicalUnit(targetName, lun, store, blockSize, opts, maxTransferBytes);
        Path dir = stateDir;
        if (dir != null) {
            unit.persistentReservations().restore(new AptplFile(dir, targetName, lun));   // never throws
        }
        synchronized (lock) {
            Target target = requireTarget(targetName);
            if (target.lun(lun) != null) {
                throw new TargetAdminException("target " + targetName + " has a LUN " + lun + " already");
            }
            target.addLun(unit);
            // SPC-4 6.33: the inventory changed; tell every nexus through each LUN, the new one
            // included, so that a nexus of a target that had no LUN learns it too (as Linux tgt
            // does). Reported through any LUN, the condition clears on all (TaskRouter).
            for (LogicalUnit u : target.luns()) {
                target.unitAttentionForAllNexuses(u.lun(), SenseReason.REPORTED_LUNS_DATA_HAS_CHANGED);
            }
        }
        LOG.info("Target {} LUN {}: {} bytes in {}-byte blocks{}, {}{}{}", targetName, lun, size, blockSize,
                unit.blocksPerPhysicalBlock() > 1 ? " (" + (blockSize << unit.physicalBlockExponent()) + "-byte physical)" : "",
                store.describe(), opts.readOnly() ? ", read-only" : "", opts.thin() ? ", thin" : "");
    }

    @Override
    public void removeLun(String targetName, int lun) {
        LogicalUnit unit;
        synchronized (lock) {
            Target target = requireTarget(targetName);
            unit = target.removeLun(lun);
            if (unit == null) {
                throw new TargetAdminException("target " + targetName + " has no LUN " + lun);
            }
            for (Nexus n : target.nexuses()) {
                n.unitAttentions().forget(lun);
            }
            for (LogicalUnit remaining : target.luns()) {
                target.unitAttentionForAllNexuses(remaining.lun(), SenseReason.REPORTED_LUNS_DATA_HAS_CHANGED);
            }
        }
        retire(unit);
        LOG.info("Target {} LUN {} removed", targetName, lun);
    }

    /**
     * SBC-4 4.7: the capacity changes for every command that starts after the store has grown;
     * CAPACITY DATA HAS CHANGED (2Ah/09h) goes to every I_T nexus of the target. The store grows
     * under the admin lock, so the unit can be neither removed nor resized meanwhile.
     */
    @Override
    public void resizeLun(String targetName, int lun, long newSizeBytes) {
        long before;
        synchronized (lock) {
            Target target = requireTarget(targetName);
            LogicalUnit unit = target.lun(lun);
            if (unit == null) {
                throw new TargetAdminException("target " + targetName + " has no LUN " + lun);
            }
            int bs = unit.blockSize();
            before = unit.blockCount() * bs;
            if (newSizeBytes <= 0 || newSizeBytes % bs != 0) {
                throw new TargetAdminException("size " + newSizeBytes + " is not a positive multiple of the block size "
                        + bs);
            }
            if (newSizeBytes < before) {
                throw new TargetAdminException("target " + targetName + " LUN " + lun + " has " + before
                        + " bytes; shrinking to " + newSizeBytes + " is refused (the blocks past the new end would be "
                        + "lost to initiators that were told they exist; copy the data to a smaller LUN instead)");
            }
            if (newSizeBytes == before) {
                return;
            }
            try {
                unit.store().grow(newSizeBytes);
            } catch (IOException | IllegalArgumentException e) {
                throw new TargetAdminException("target " + targetName + " LUN " + lun + " cannot grow to " + newSizeBytes
                        + " bytes: " + e.getMessage(), e);
            }
            if (unit.store().size() < newSizeBytes) {
                throw new TargetAdminException("target " + targetName + " LUN " + lun + ": the store reports "
                        + unit.store().size() + " bytes after growing to " + newSizeBytes);
            }
            unit.grown(newSizeBytes / bs);
            target.unitAttentionForAllNexuses(lun, SenseReason.CAPACITY_DATA_HAS_CHANGED);
        }
        LOG.info("Target {} LUN {} resized from {} to {} bytes", targetName, lun, before, newSizeBytes);
    }

    /**
     * Changes what may change in place (SPC-4 5.14 and 6.6.1 name the unit attentions): write
     * protection, removable medium, thin provisioning; never the serial number (the unit's
     * identity). Turning write protection off first makes the store writable.
     */
    @Override
    public void setLunOptions(String targetName, int lun, LunOptions options) {
        Objects.requireNonNull(options, "options");
        LunOptions old;
        synchronized (lock) {
            Target target = requireTarget(targetName);
            LogicalUnit unit = target.lun(lun);
            if (unit == null) {
                throw new TargetAdminException("target " + targetName + " LUN " + lun + " does not exist");
            }
            old = unit.options();
            if (!Objects.equals(old.serial(), options.serial())) {
                throw new TargetAdminException("the serial number of target " + targetName + " LUN " + lun
                        + " is its identity and cannot change while it exists");
            }
            if (old.physicalBlockSize() != options.physicalBlockSize()) {
                throw new TargetAdminException("the physical block size of target " + targetName + " LUN " + lun
                        + " cannot change while it exists");
            }
            if (old.equals(options)) {
                return;
            }
            if (old.readOnly() && !options.readOnly()) {
                try {
                    unit.store().allowWrites();
                } catch (IOException e) {
                    throw new TargetAdminException("target " + targetName + " LUN " + lun + " stays read-only: "
                            + e.getMessage(), e);
                }
            }
            if (old.thin() != options.thin()) {
                provision(unit.store(), options.thin(), "target " + targetName + " LUN " + lun + " stays "
                        + (old.thin() ? "thin" : "fully provisioned") + ": ");
            }
            unit.setOptions(options);
            if (old.readOnly() != options.readOnly()) {
                target.unitAttentionForAllNexuses(lun, SenseReason.MODE_PARAMETERS_CHANGED);
            }
            if (old.thin() != options.thin()) {
                target.unitAttentionForAllNexuses(lun, SenseReason.CAPACITY_DATA_HAS_CHANGED);
            }
            if (old.removable() != options.removable() || old.thin() != options.thin()) {
                target.unitAttentionForAllNexuses(lun, SenseReason.INQUIRY_DATA_HAS_CHANGED);
            }
        }
        LOG.info("Target {} LUN {} options {} -> {}", targetName, lun, old, options);
    }

    @Override
    public void setAcl(String targetName, List<String> initiators) {
        Objects.requireNonNull(initiators, "initiators");
        for (String i : initiators) {
            if (i == null || i.isBlank() || i.chars().anyMatch(ch -> Character.isWhitespace(ch) || ch == ',')) {
                throw new TargetAdminException("ACL entry '" + i + "' is not an initiator name");
            }
        }
        synchronized (lock) {
            requireTarget(targetName).setAcl(initiators);
        }
        LOG.info("Target {} ACL: {}", targetName, initiators.isEmpty() ? "all initiators" : initiators);
    }

    @Override
    public List<TargetInfo> targets() {
        List<TargetInfo> out = new ArrayList<>();
        for (Target t : targets.values()) {
            if (!t.closed()) {
                out.add(t.info());
            }
        }
        out.sort(Comparator.comparing(TargetInfo::name));
        return List.copyOf(out);
    }

    // =========================== TargetPorts ===========================

    @Override
    public int register(String driver, String description, int preferredId) {
        int id;
        synchronized (lock) {
            id = ports.register(driver, description, preferredId);
        }
        if (id != preferredId) {
            LOG.warn("Target port {} {}: relative target port {} is taken; it is {}", driver, description, preferredId, id);
        }
        LOG.info("Target port {} {}: relative target port {}, target port group {}", driver, description, id, id);
        return id;
    }

    @Override
    public void unregister(int relativeId) {
        TargetPorts.Port removed;
        synchronized (lock) {
            removed = ports.unregister(relativeId);
        }
        if (removed != null) {
            LOG.info("Target port {} {} (relative target port {}) removed", removed.driver(), removed.description(), relativeId);
        }
    }

    @Override
    public List<TargetPorts.Port> ports() {
        return ports.list();
    }

    @Override
    public List<NexusInfo> nexuses() {
        List<NexusInfo> out = new ArrayList<>();
        for (Target t : targets.values()) {
            for (Nexus n : t.nexuses()) {
                out.add(new NexusInfo(t.name(), n.initiatorPortName(), n.hostNo(), n.id(), n.counters().snapshot()));
            }
        }
        out.sort(Comparator.comparing(NexusInfo::target).thenComparingInt(NexusInfo::hostNo)
                .thenComparingLong(NexusInfo::nexusId));
        return List.copyOf(out);
    }

    @Override
    public IoStatistics lunStatistics(String targetName, int lun) {
        LogicalUnit unit = requireTarget(targetName).lun(lun);
        if (unit == null) {
            throw new TargetAdminException("target " + targetName + " has no LUN " + lun);
        }
        return unit.counters().snapshot();
    }

    private Target requireTarget(String name) {
        Target t = targets.get(name);
        if (t == null) {
            throw new TargetAdminException("no target named " + name);
        }
        return t;
    }

    /**
     * Tells the store how its unit is provisioned ({@link BackingStore#provision}): a fully
     * provisioned unit's store reserves its whole capacity now, or the unit is refused, so that
     * no write can fail later for want of space; a thin one gives back what it does not use.
     */
    private static void provision(BackingStore store, boolean thin, String refusal) {
        try {
            store.provision(!thin);
        } catch (IOException e) {
            throw new TargetAdminException(refusal + e.getMessage(), e);
        }
    }

    /** Drains a removed unit's commands and closes its store; never under {@link #lock}. */
    private void retire(LogicalUnit unit) {
        if (!unit.retire(RETIRE_TIMEOUT_MILLIS)) {
            LOG.warn("Target {} LUN {}: commands still running after {} ms; closing the store anyway",
                    unit.targetName(), unit.lun(), RETIRE_TIMEOUT_MILLIS);
        }
        try {
            unit.store().close();
        } catch (IOException | RuntimeException e) {
            LOG.warn("Target {} LUN {}: closing {} failed", unit.targetName(), unit.lun(), unit.store().describe(), e);
        }
    }

    // =========================== for tests ===========================

    /** The nexus (host, id), or {@code null}. */
    Nexus nexus(int hostNo, long nexusId) {
        return nexuses.get(hostNo, nexusId);
    }
}

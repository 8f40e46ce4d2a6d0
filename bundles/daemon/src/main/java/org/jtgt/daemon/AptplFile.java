package org.jtgt.daemon;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

import org.jtgt.daemon.PersistentReservations.Port;
import org.jtgt.daemon.PersistentReservations.Registrant;
import org.jtgt.daemon.PersistentReservations.Reservation;
import org.jtgt.daemon.PersistentReservations.State;
import org.jtgt.util.file.OwnerOnlyFiles;

/**
 * The persistent reservations of one logical unit kept across power loss (APTPL, SPC-4 5.13.5):
 * a small text file per unit in {@code STATE-DIR/reservations/}, named after target and LUN,
 * written whole (temporary file, {@code force}, atomic rename) whenever an APTPL state changes,
 * and read when the unit is added again (a restart of jtgt with the same LUN). Files are mode
 * 0600 and the directory, when created here, 0700: they name initiators and their keys.
 *
 * <pre>
 * # jtgt persistent reservations (APTPL) of iqn.2026-11.org.jtgt:default LUN 0
 * generation 4
 * registrant 0x00000000000abc01 1 iqn.1994-05.com.example:host1,i,0x23d000000001
 * registrant 0x00000000000abc02 1 naa.21000024ff000001
 * reservation 3 1 iqn.1994-05.com.example:host1,i,0x23d000000001
 * </pre>
 *
 * {@code registrant KEY RELATIVE-PORT INITIATOR-PORT-NAME}; {@code reservation TYPE} for the
 * all-registrants types, {@code reservation TYPE RELATIVE-PORT INITIATOR-PORT-NAME} (a
 * registered nexus) for the others. Blank lines and {@code #} comments are skipped. A file that
 * does not parse is refused whole with its line and the reason ({@link BrokenFileException}).
 */
final class AptplFile {
    static final String DIRECTORY = "reservations";
    /**
     * In the split shape's daemon: every state, APTPL or not, so that a restarted daemon process
     * takes over what the one before it had (a daemon restart is not a power loss). Same format,
     * with an {@code aptpl 0|1} line; emptied when the target starts cold.
     */
    static final String KEPT_DIRECTORY = "reservations-kept";

    private final Path path;
    private final String header;

    AptplFile(Path stateDir, String targetName, int lun) {
        this(stateDir, DIRECTORY, targetName, lun, "(APTPL)");
    }

    AptplFile(Path stateDir, String directory, String targetName, int lun, String what) {
        this.path = stateDir.resolve(directory).resolve(fileName(targetName, lun));
        this.header = "# jtgt persistent reservations " + what + " of " + targetName + " LUN " + lun;
    }

    /** The format without a file: {@code name} stands for the path in errors (a shared record). */
    AptplFile(String name) {
        this.path = Path.of(name);
        this.header = "";
    }

    /** Target name with every character outside {@code [A-Za-z0-9.:-]} as {@code _}, then {@code -LUN.pr}. */
    static String fileName(String targetName, int lun) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < targetName.length(); i++) {
            char ch = targetName.charAt(i);
            boolean plain = ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9'
                    || ch == '.' || ch == ':' || ch == '-';
            b.append(plain ? ch : '_');
        }
        return b.append('-').append(lun).append(".pr").toString();
    }

    Path path() {
        return path;
    }

    /** A line of the file that cannot be taken; the message is {@code FILE:LINE: reason}. */
    static final class BrokenFileException extends Exception {
        private static final long serialVersionUID = 1L;

        BrokenFileException(Path file, int line, String reason) {
            super(file + ":" + line + ": " + reason);
        }
    }

    /** The state the file holds (APTPL set unless an {@code aptpl 0} line says otherwise); {@code null} if there is no file. */
    State load() throws IOException, BrokenFileException {
        List<String> lines;
        try {
            lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return null;
        }
        return parse(lines, false);
    }

    /**
     * The state {@code lines} hold in this format; {@code path} names them in errors.
     *
     * @param mayBeEmpty no registrant is a state (a shared record), not a broken file
     */
    State parse(List<String> lines, boolean mayBeEmpty) throws BrokenFileException {
        int generation = 0;
        boolean aptpl = true;
        List<Registrant> registrants = new ArrayList<>();
        Reservation reservation = null;
        int reservationLine = 0;
        for (int i = 0; i < lines.size(); i++) {
            int no = i + 1;
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\\s+", 4);
            try {
                switch (f[0]) {
                    case "generation":
                        expect(f, 2, no, "generation N");
                        long g = Long.parseLong(f[1]);
                        if (g < 0 || g > 0xFFFF_FFFFL) {
                            throw new BrokenFileException(path, no, "generation " + f[1] + " is outside 0..4294967295");
                        }
                        generation = (int) g;
                        break;
                    case "aptpl":
                        expect(f, 2, no, "aptpl 0|1");
                        if (!f[1].equals("0") && !f[1].equals("1")) {
                            throw new BrokenFileException(path, no, "aptpl is 0 or 1, not " + f[1]);
                        }
                        aptpl = f[1].equals("1");
                        break;
                    case "registrant": {
                        if (f.length != 4) {
                            throw new BrokenFileException(path, no, "expected 'registrant KEY RELATIVE-PORT INITIATOR-PORT-NAME'");
                        }
                        long key = parseKey(f[1], no);
                        Port port = new Port(f[3], parsePort(f[2], no));
                        for (Registrant r : registrants) {
                            if (r.port().same(port)) {
                                throw new BrokenFileException(path, no, "I_T nexus " + f[3] + " on port " + f[2] + " is registered twice");
                            }
                        }
                        if (registrants.size() >= PersistentReservations.MAX_REGISTRANTS) {
                            throw new BrokenFileException(path, no, "more than " + PersistentReservations.MAX_REGISTRANTS + " registrations");
                        }
                        registrants.add(new Registrant(port, key));
                        break;
                    }
                    case "reservation": {
                        if (reservation != null) {
                            throw new BrokenFileException(path, no, "a second reservation");
                        }
                        if (f.length < 2) {
                            throw new BrokenFileException(path, no, "expected 'reservation TYPE [RELATIVE-PORT INITIATOR-PORT-NAME]'");
                        }
                        int type = Integer.parseInt(f[1]);
                        if (!PersistentReservations.validType(type)) {
                            throw new BrokenFileException(path, no, "reservation type " + f[1] + " is not 1, 3, 5, 6, 7 or 8");
                        }
                        if (PersistentReservations.allRegistrants(type)) {
                            expect(f, 2, no, "reservation " + type + " (all registrants hold it)");
                            reservation = new Reservation(type, null);
                        } else {
                            if (f.length != 4) {
                                throw new BrokenFileException(path, no, "expected 'reservation " + type + " RELATIVE-PORT INITIATOR-PORT-NAME'");
                            }
                            reservation = new Reservation(type, new Port(f[3], parsePort(f[2], no)));
                        }
                        reservationLine = no;
                        break;
                    }
                    default:
                        throw new BrokenFileException(path, no, "unknown keyword '" + f[0] + "'");
                }
            } catch (NumberFormatException e) {
                throw new BrokenFileException(path, no, "a field that must be a decimal number is not: " + line);
            }
        }
        if (registrants.isEmpty() && !mayBeEmpty) {
            throw new BrokenFileException(path, lines.size(), "no registrant: nothing to restore");
        }
        if (reservation != null && reservation.holder() != null) {
            boolean found = false;
            for (Registrant r : registrants) {
                found |= r.port().same(reservation.holder());
            }
            if (!found) {
                throw new BrokenFileException(path, reservationLine, "the reservation holder is not registered");
            }
        }
        return new State(generation, registrants.toArray(new Registrant[0]), reservation, aptpl);
    }

    private void expect(String[] f, int n, int no, String form) throws BrokenFileException {
        if (f.length != n) {
            throw new BrokenFileException(path, no, "expected '" + form + "'");
        }
    }

    private long parseKey(String s, int no) throws BrokenFileException {
        boolean hex = s.startsWith("0x") && s.length() >= 3 && s.length() <= 18;
        for (int i = 2; hex && i < s.length(); i++) {
            hex = Character.digit(s.charAt(i), 16) >= 0;
        }
        if (!hex) {
            throw new BrokenFileException(path, no, "reservation key '" + s + "' is not 0x followed by 1 to 16 hex digits");
        }
        long key = Long.parseUnsignedLong(s.substring(2), 16);
        if (key == 0) {
            throw new BrokenFileException(path, no, "reservation key 0 is never registered");
        }
        return key;
    }

    private int parsePort(String s, int no) throws BrokenFileException {
        int p = Integer.parseInt(s);
        if (p < 0 || p > 0xFFFF) {
            throw new BrokenFileException(path, no, "relative port " + s + " is outside 0..65535");
        }
        return p;
    }

    /** Writes {@code s} atomically: a temporary file in the same directory, forced, then renamed over the old one. */
    void save(State s) throws IOException {
        String text = format(header, s);
        OwnerOnlyFiles.createDirectories(path.getParent());
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        // A new file each time, 0600 from the start; the rename carries that mode over the old file.
        try (FileChannel ch = OwnerOnlyFiles.replaceFile(tmp);
             OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
            ch.force(true);
        }
        try {
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** {@code s} in this format, after the comment line {@code header}. */
    static String format(String header, State s) {
        StringBuilder b = new StringBuilder(header).append('\n');
        b.append("generation ").append(Integer.toUnsignedString(s.generation())).append('\n');
        if (!s.aptpl()) {
            b.append("aptpl 0\n");
        }
        for (Registrant r : s.registrants()) {
            b.append(String.format("registrant 0x%016x %d %s%n", r.key(), r.port().relativePort(), r.port().initiator()));
        }
        Reservation res = s.reservation();
        if (res != null) {
            b.append("reservation ").append(res.type());
            if (res.holder() != null) {
                b.append(' ').append(res.holder().relativePort()).append(' ').append(res.holder().initiator());
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** Removes the file: nothing is to persist any more. */
    void delete() throws IOException {
        Files.deleteIfExists(path);
    }
}

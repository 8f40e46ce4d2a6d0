package org.jtgt.fc.initiator;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import org.jtgt.fc.FcFrameHeader;
import org.jtgt.fc.initiator.FcInitiator.ScsiResult;

/**
 * {@code java -cp jtgt-api.jar:jtgt-lld-fc.jar org.jtgt.fc.initiator.FcInitiatorCli [HOST:PORT] [--verify BLOCKS]}:
 * logs in to the emulated fabric, lists the FCP ports the name server knows, logs in to the
 * first, prints INQUIRY and READ CAPACITY(10) of LUN 0 and, with {@code --verify}, writes a
 * random pattern to the first BLOCKS blocks and reads it back. Exit status 0 on success.
 */
public final class FcInitiatorCli {
    private FcInitiatorCli() {
    }

    public static void main(String[] args) throws Exception {
        String portal = "127.0.0.1:3225";
        int verify = 0;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--verify") && i + 1 < args.length) {
                verify = Integer.parseInt(args[++i]);
            } else {
                portal = args[i];
            }
        }
        int colon = portal.lastIndexOf(':');
        String host = portal.substring(0, colon);
        int port = Integer.parseInt(portal.substring(colon + 1));
        try (FcInitiator fc = FcInitiator.connect(host, port, 0x10000000c9a0b001L, 0x20000000c9a0b001L)) {
            int id = fc.flogi();
            System.out.println("FLOGI: N_Port ID " + FcFrameHeader.portId(id));
            List<Integer> targets = fc.discoverTargets();
            System.out.println("name server, FCP ports: " + targets.stream().map(FcFrameHeader::portId).toList());
            if (targets.isEmpty()) {
                System.exit(2);
            }
            int did = targets.get(0);
            if (!fc.plogi(did).accepted() || !fc.prli(did).accepted()) {
                System.err.println("PLOGI/PRLI to " + FcFrameHeader.portId(did) + " rejected");
                System.exit(3);
            }
            for (int k = 0; k < 5 && fc.command(did, 0, new byte[6], null, 0).status() != 0; k++) {
                // TEST UNIT READY until the unit attentions of a new nexus are reported
            }
            ScsiResult inq = fc.command(did, 0, new byte[] {0x12, 0, 0, 0, 96, 0}, null, 96);
            System.out.println("INQUIRY: status " + inq.status() + ", "
                    + new String(inq.data(), 8, 28, StandardCharsets.US_ASCII).trim());
            ScsiResult cap = fc.command(did, 0, new byte[] {0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0}, null, 8);
            ByteBuffer c = ByteBuffer.wrap(cap.data());
            long blocks = (c.getInt(0) & 0xFFFFFFFFL) + 1;
            int blockSize = c.getInt(4);
            System.out.println("READ CAPACITY(10): " + blocks + " blocks of " + blockSize + " bytes");
            if (verify > 0) {
                byte[] pattern = new byte[verify * blockSize];
                new Random(verify).nextBytes(pattern);
                byte[] w = {0x2A, 0, 0, 0, 0, 0, 0, (byte) (verify >> 8), (byte) verify, 0};
                byte[] r = {0x28, 0, 0, 0, 0, 0, 0, (byte) (verify >> 8), (byte) verify, 0};
                ScsiResult wr = fc.command(did, 0, w, pattern, 0);
                ScsiResult rd = fc.command(did, 0, r, null, pattern.length);
                boolean same = wr.status() == 0 && rd.status() == 0 && java.util.Arrays.equals(pattern, rd.data());
                System.out.println("verify " + verify + " blocks: " + (same ? "OK" : "MISMATCH"));
                if (!same) {
                    System.exit(4);
                }
            }
            fc.logo(did);
        }
    }
}

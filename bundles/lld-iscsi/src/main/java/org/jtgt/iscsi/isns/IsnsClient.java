package org.jtgt.iscsi.isns;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.jtgt.iscsi.isns.IsnsPdu.Attribute;
import org.jtgt.iscsi.isns.IsnsPdu.Header;
import org.jtgt.iscsi.isns.IsnsPdu.Response;

/**
 * One iSNSP request and its response over a TCP connection of its own (RFC 4171 5.2: a client
 * may open a connection per exchange). Registrations are rare (a change, a refresh), so keeping a
 * connection open would buy nothing and would need its own failure handling.
 *
 * <p>The response must answer the request: the response function ID, the same transaction ID,
 * the server flag, sequence IDs counting up from 0 with FIRST on the first PDU; anything else is an
 * {@link IsnsFormatException} and the connection is dropped.
 */
public final class IsnsClient {
    /** Default iSNS port (RFC 4171 9.3). */
    public static final int DEFAULT_PORT = 3205;

    private final InetSocketAddress server;
    private final int timeoutMillis;
    private final AtomicInteger transactions = new AtomicInteger();

    public IsnsClient(InetSocketAddress server, int timeoutMillis) {
        this.server = server;
        this.timeoutMillis = timeoutMillis;
    }

    public InetSocketAddress server() {
        return server;
    }

    /**
     * Sends one request and returns the server's response, whatever its status code.
     *
     * @throws IOException the server could not be reached or closed the connection
     * @throws IsnsFormatException the response is not a well-formed answer to this request
     */
    public Response exchange(int function, int flags, List<Attribute> attributes) throws IOException {
        int xid = transactions.incrementAndGet() & 0xFFFF;
        List<byte[]> pdus = IsnsPdu.encodeRequest(function, flags, xid, attributes, IsnsPdu.MAX_PDU_PAYLOAD & ~3);
        InetSocketAddress target = server.isUnresolved()
                ? new InetSocketAddress(server.getHostString(), server.getPort()) : server;
        if (target.isUnresolved()) {
            throw new IOException("cannot resolve " + server.getHostString());
        }
        try (Socket s = new Socket()) {
            s.connect(target, timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            s.setTcpNoDelay(true);
            OutputStream out = s.getOutputStream();
            for (byte[] pdu : pdus) {
                out.write(pdu);
            }
            out.flush();
            return read(new DataInputStream(s.getInputStream()), function | IsnsPdu.RESPONSE, xid);
        }
    }

    /** Reads the PDUs of one response message and decodes it. */
    static Response read(DataInputStream in, int expectedFunction, int xid) throws IOException {
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        byte[] header = new byte[IsnsPdu.HEADER_LENGTH];
        for (int sequence = 0;; sequence++) {
            in.readFully(header);
            Header h = IsnsPdu.decodeHeader(ByteBuffer.wrap(header));
            if (h.function() != expectedFunction) {
                throw new IsnsFormatException(String.format("response function 0x%04x to a request expecting 0x%04x",
                        h.function(), expectedFunction));
            }
            if (h.transactionId() != xid) {
                throw new IsnsFormatException("response transaction ID " + h.transactionId() + ", expected " + xid);
            }
            if ((h.flags() & IsnsPdu.FLAG_SERVER) == 0) {
                throw new IsnsFormatException("response without the server flag");
            }
            if (h.sequenceId() != sequence || h.first() != (sequence == 0)) {
                throw new IsnsFormatException("response PDU sequence " + h.sequenceId() + (h.first() ? " (first)" : "")
                        + ", expected " + sequence);
            }
            if (payload.size() + h.length() > IsnsPdu.MAX_MESSAGE) {
                throw new IsnsFormatException("response longer than " + IsnsPdu.MAX_MESSAGE + " bytes");
            }
            byte[] part = new byte[h.length()];
            in.readFully(part);
            payload.write(part, 0, part.length);
            if (h.last()) {
                return IsnsPdu.decodeResponse(h.function(), h.transactionId(), payload.toByteArray());
            }
        }
    }
}

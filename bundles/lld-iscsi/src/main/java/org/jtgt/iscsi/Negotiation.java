package org.jtgt.iscsi;

import java.util.Locale;

/**
 * Operational key negotiation (RFC 7143 6.2 and 13): each key the initiator offers gets an answer
 * computed with that key's result function, and the result is recorded in the
 * {@link SessionParameters}. Values outside a key's range are answered {@code Reject} and the
 * default stays (RFC 7143 6.2.1); keys this target does not know are answered
 * {@code NotUnderstood} (RFC 7143 6.2); keys that only make sense in Normal sessions are answered
 * {@code Irrelevant} in a Discovery session (RFC 7143 6.2.1, 13's "Scope").
 */
final class Negotiation {
    static final String REJECT = "Reject";
    static final String IRRELEVANT = "Irrelevant";
    static final String NOT_UNDERSTOOD = "NotUnderstood";
    static final String NONE = "None";
    static final String CRC32C = "CRC32C";
    static final String YES = "Yes";
    static final String NO = "No";

    private static final java.util.Set<String> OPERATIONAL_KEYS = java.util.Set.of("HeaderDigest", "DataDigest",
            "MaxRecvDataSegmentLength", "MaxBurstLength", "FirstBurstLength", "MaxOutstandingR2T", "MaxConnections",
            "ErrorRecoveryLevel", "DefaultTime2Wait", "DefaultTime2Retain", "InitialR2T", "ImmediateData",
            "DataPDUInOrder", "DataSequenceInOrder", "IFMarker", "OFMarker", "IFMarkInt", "OFMarkInt", "TaskReporting",
            "iSCSIProtocolLevel", "AuthMethod", "SessionType", "InitiatorName", "TargetName", "InitiatorAlias");

    private final TargetSettings settings;
    private final SessionParameters params;
    private boolean declaredOwnMaxRecv;

    Negotiation(TargetSettings settings, SessionParameters params) {
        this.settings = settings;
        this.params = params;
    }

    static boolean isOperationalKey(String key) {
        return OPERATIONAL_KEYS.contains(key);
    }

    /** Whether this target has declared its MaxRecvDataSegmentLength yet. */
    boolean declaredOwnMaxRecv() {
        return declaredOwnMaxRecv;
    }

    void declareOwnMaxRecv(TextParameters answer) {
        answer.add("MaxRecvDataSegmentLength", Integer.toString(settings.maxRecvDataSegmentLength()));
        params.targetMaxRecvDataSegmentLength = settings.maxRecvDataSegmentLength();
        declaredOwnMaxRecv = true;
    }

    /**
     * Answers one operational key.
     *
     * @return false if the key is not an operational key known here (the caller decides)
     */
    boolean negotiate(String key, String value, TextParameters answer) {
        switch (key) {
            case "HeaderDigest":
                params.headerDigest = digest(key, value, answer);
                return true;
            case "DataDigest":
                params.dataDigest = digest(key, value, answer);
                return true;
            case "MaxRecvDataSegmentLength": {
                // Declarative, per direction (RFC 7143 13.12): the initiator's value bounds what we
                // send; we declare ours in return.
                Long v = parseNumber(value);
                if (v == null || v < TargetSettings.MIN_LENGTH || v > TargetSettings.MAX_LENGTH) {
                    // One answer per key: ours is then not declared, and both sides keep the
                    // default of 8192 for what they send.
                    answer.add(key, REJECT);
                    declaredOwnMaxRecv = true;
                } else {
                    params.initiatorMaxRecvDataSegmentLength = v.intValue();
                    if (!declaredOwnMaxRecv) {
                        declareOwnMaxRecv(answer);
                    }
                }
                return true;
            }
            case "MaxBurstLength":
                if (normalOnly(key, answer)) {
                    params.maxBurstLength = minimum(key, value, TargetSettings.MIN_LENGTH, TargetSettings.MAX_LENGTH,
                            settings.maxBurstLength(), params.maxBurstLength, answer);
                }
                return true;
            case "FirstBurstLength":
                if (normalOnly(key, answer)) {
                    params.firstBurstLength = minimum(key, value, TargetSettings.MIN_LENGTH, TargetSettings.MAX_LENGTH,
                            settings.firstBurstLength(), params.firstBurstLength, answer);
                }
                return true;
            case "MaxOutstandingR2T":
                if (normalOnly(key, answer)) {
                    params.maxOutstandingR2T = minimum(key, value, 1, 65535, settings.maxOutstandingR2T(),
                            params.maxOutstandingR2T, answer);
                }
                return true;
            case "MaxConnections":
                if (normalOnly(key, answer)) {
                    // One connection per session (no MC/S): the minimum with 1 is 1.
                    params.maxConnections = minimum(key, value, 1, 65535, 1, params.maxConnections, answer);
                }
                return true;
            case "ErrorRecoveryLevel":
                // Only level 0 (session recovery) is implemented: the minimum with 0 is 0.
                params.errorRecoveryLevel = minimum(key, value, 0, 2, 0, params.errorRecoveryLevel, answer);
                return true;
            case "DefaultTime2Wait":
                params.defaultTime2Wait = maximum(key, value, 0, 3600, settings.defaultTime2Wait(),
                        params.defaultTime2Wait, answer);
                return true;
            case "DefaultTime2Retain":
                params.defaultTime2Retain = minimum(key, value, 0, 3600, settings.defaultTime2Retain(),
                        params.defaultTime2Retain, answer);
                return true;
            case "InitialR2T":
                if (normalOnly(key, answer)) {
                    params.initialR2T = or(key, value, settings.initialR2T(), params.initialR2T, answer);
                }
                return true;
            case "ImmediateData":
                if (normalOnly(key, answer)) {
                    params.immediateData = and(key, value, settings.immediateData(), params.immediateData, answer);
                }
                return true;
            case "DataPDUInOrder":
                // Only in-order data is implemented: OR with Yes is Yes.
                if (normalOnly(key, answer)) {
                    params.dataPduInOrder = or(key, value, true, params.dataPduInOrder, answer);
                }
                return true;
            case "DataSequenceInOrder":
                if (normalOnly(key, answer)) {
                    params.dataSequenceInOrder = or(key, value, true, params.dataSequenceInOrder, answer);
                }
                return true;
            case "IFMarker":
            case "OFMarker":
                // Markers were removed by RFC 7143 (section 13.25 lists the obsolete keys); an
                // older initiator still offers them: AND with No is No.
                and(key, value, false, false, answer);
                return true;
            case "IFMarkInt":
            case "OFMarkInt":
                answer.add(key, IRRELEVANT);
                return true;
            case "TaskReporting":
                // RFC 7144 4.2.2: only the RFC 3720 semantics are implemented.
                answer.add(key, listContains(value, "RFC3720") ? "RFC3720" : REJECT);
                return true;
            case "iSCSIProtocolLevel":
                // RFC 7144 4.1: numerical minimum; this target implements RFC 7143 (level 1).
                minimum(key, value, 0, 31, 1, 0, answer);
                return true;
            default:
                return false;
        }
    }

    private boolean normalOnly(String key, TextParameters answer) {
        if (params.discovery) {
            answer.add(key, IRRELEVANT);
            return false;
        }
        return true;
    }

    private static boolean digest(String key, String value, TextParameters answer) {
        // List negotiation: the first value offered that this side supports (RFC 7143 6.2.2).
        for (String v : value.split(",")) {
            String t = v.trim();
            if (t.equals(CRC32C) || t.equals(NONE)) {
                answer.add(key, t);
                return t.equals(CRC32C);
            }
        }
        answer.add(key, REJECT);
        return false;
    }

    private static int minimum(String key, String value, long min, long max, int ours, int current, TextParameters answer) {
        Long v = parseNumber(value);
        if (v == null || v < min || v > max) {
            answer.add(key, REJECT);
            return current;
        }
        int result = (int) Math.min(v, ours);
        answer.add(key, Integer.toString(result));
        return result;
    }

    private static int maximum(String key, String value, long min, long max, int ours, int current, TextParameters answer) {
        Long v = parseNumber(value);
        if (v == null || v < min || v > max) {
            answer.add(key, REJECT);
            return current;
        }
        int result = (int) Math.max(v, ours);
        answer.add(key, Integer.toString(result));
        return result;
    }

    private static boolean or(String key, String value, boolean ours, boolean current, TextParameters answer) {
        Boolean v = parseBoolean(value);
        if (v == null) {
            answer.add(key, REJECT);
            return current;
        }
        boolean result = v || ours;
        answer.add(key, result ? YES : NO);
        return result;
    }

    private static boolean and(String key, String value, boolean ours, boolean current, TextParameters answer) {
        Boolean v = parseBoolean(value);
        if (v == null) {
            answer.add(key, REJECT);
            return current;
        }
        boolean result = v && ours;
        answer.add(key, result ? YES : NO);
        return result;
    }

    static Boolean parseBoolean(String value) {
        if (YES.equals(value)) {
            return Boolean.TRUE;
        }
        if (NO.equals(value)) {
            return Boolean.FALSE;
        }
        return null;
    }

    /** A numerical value: decimal or {@code 0x} hex (RFC 7143 6.1); null if malformed. */
    static Long parseNumber(String value) {
        if (value == null || value.isEmpty() || value.length() > 20) {
            return null;
        }
        try {
            String lower = value.toLowerCase(Locale.ROOT);
            if (lower.startsWith("0x")) {
                return lower.length() > 2 ? Long.parseLong(lower.substring(2), 16) : null;
            }
            for (int i = 0; i < value.length(); i++) {
                if (!Character.isDigit(value.charAt(i))) {
                    return null;
                }
            }
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static boolean listContains(String list, String wanted) {
        for (String v : list.split(",")) {
            if (v.trim().equals(wanted)) {
                return true;
            }
        }
        return false;
    }
}

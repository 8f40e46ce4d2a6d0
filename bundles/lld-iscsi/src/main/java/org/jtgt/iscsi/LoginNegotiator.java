package org.jtgt.iscsi;

import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.jtgt.api.target.ChapAccounts;
import org.jtgt.api.target.TargetInfo;

/**
 * The login phase of one connection (RFC 7143 6.3 and 11.12/11.13), as pure logic: each Login
 * Request (header fields and text) yields the Login Response to send. Stages are
 * SecurityNegotiation (0), LoginOperationalNegotiation (1) and FullFeaturePhase (3).
 *
 * <p>Security: AuthMethod None, or CHAP with MD5 (RFC 7143 12.1.3) when a CHAP user is
 * configured, in which case every session must authenticate and a login that skips the security
 * stage fails with authentication failure (0x0201). Mutual CHAP is answered when the initiator
 * sends CHAP_I and CHAP_C and a mutual user is configured. A target with accounts bound to it
 * ({@link ChapAccounts}, jtgtadm's {@code --mode account}) uses those instead of the configured
 * account: any of its incoming users may log in, its outgoing user answers mutual CHAP.
 * Discovery sessions always use the configured account.
 *
 * <p>Security fails closed: while the {@link TargetDirectory} has no account source
 * ({@link TargetDirectory#accounts()} is null), nobody can tell which targets require CHAP, so
 * every login, Normal or Discovery, is refused with Service Unavailable (0x0301, RFC 7143
 * 11.13.5), which tells the initiator to try again later.
 *
 * <p>A key may be sent once per login (RFC 7143 6.3): a key repeated in one request, or sent again
 * in a later request of the same login, ends the login with Initiator Error (0x0200). The only
 * exception is the leading login's declaratives ({@code InitiatorName}, {@code InitiatorAlias},
 * {@code TargetName}, {@code SessionType}) sent again with the same value, as libiscsi does
 * when it moves from the security to the operational stage.
 *
 * <p>The I_T nexus and the TSIH are not this class's business: when the answer would move to the
 * full feature phase, {@link Reply#enterFullFeature()} is set and the connection creates the
 * nexus before sending it (or replaces it with a failure).
 */
final class LoginNegotiator {
    static final int STAGE_SECURITY = 0;
    static final int STAGE_OPERATIONAL = 1;
    static final int STAGE_FULL_FEATURE = 3;
    /** What an unknown CHAP_N is verified against: random, never a real secret. */
    private static final String UNKNOWN_USER_SECRET = java.util.UUID.randomUUID().toString();
    /** Bound on a login text split over continuation PDUs. */
    static final int MAX_TEXT = 64 * 1024;

    /** An account source with no account bound to any target: the configured CHAP applies everywhere. */
    static final ChapAccounts NO_ACCOUNTS = target -> null;

    /** The leading login's declaratives, which an initiator may send again with the same value. */
    private static final java.util.Set<String> LEADING_KEYS = java.util.Set.of("InitiatorName", "InitiatorAlias",
            "TargetName", "SessionType");

    /** Looks a target up for login: existence and ACL, and the CHAP accounts bound to it. */
    interface TargetDirectory {
        TargetInfo find(String targetName);

        /**
         * The account source at this moment ({@link ChapAccounts#forTarget} null for a target: the
         * configured CHAP applies to it), or null if there is none and logins depend on one: the
         * login is then refused.
         */
        default ChapAccounts accounts() {
            return NO_ACCOUNTS;
        }
    }

    /** The fields of a Login Request that matter to negotiation. */
    record Request(boolean transit, boolean cont, int csg, int nsg, int versionMax, int versionMin, byte[] text) {
    }

    /**
     * The Login Response to send.
     *
     * @param status 0 or a {@link LoginStatus}; a failure ends the login (the connection closes)
     */
    record Reply(boolean transit, int csg, int nsg, int status, byte[] text, boolean enterFullFeature, String reason) {
        boolean failed() {
            return status != LoginStatus.SUCCESS;
        }
    }

    private enum Auth { START, WAIT_CHAP_A, WAIT_CHAP_RESPONSE, DONE }

    private final TargetSettings settings;
    private final TargetDirectory directory;
    private final SessionParameters params = new SessionParameters();
    private final int portalGroupTag;
    private final Negotiation negotiation;

    private boolean first = true;
    private int stage = -1;
    private Auth auth = Auth.START;
    private int chapIdentifier;
    private byte[] chapChallenge;
    private boolean sentAlias;
    private String authenticatedUser;
    /** Who may log in: the configured account until a Normal session names a target with its own accounts. */
    private ChapAccounts.TargetChap chap;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    /** Every key received in this login so far, with its value (RFC 7143 6.3: each once). */
    private final Map<String, String> received = new java.util.HashMap<>();

    LoginNegotiator(TargetSettings settings, TargetDirectory directory) {
        this(settings, settings.portalGroupTag(), directory);
    }

    /** @param portalGroupTag the TPGT of the portal the login came in on (RFC 7143 13.9) */
    LoginNegotiator(TargetSettings settings, int portalGroupTag, TargetDirectory directory) {
        this.portalGroupTag = portalGroupTag;
        this.settings = settings;
        this.directory = directory;
        this.negotiation = new Negotiation(settings, params);
        this.chap = settings.chapRequired()
                ? new ChapAccounts.TargetChap(Map.of(settings.chapUser(), settings.chapSecret()),
                        settings.mutualChapConfigured() ? settings.mutualChapUser() : null,
                        settings.mutualChapConfigured() ? settings.mutualChapSecret() : null)
                : new ChapAccounts.TargetChap(Map.of(), null, null);
    }

    private boolean chapRequired() {
        return !chap.incoming().isEmpty();
    }

    SessionParameters parameters() {
        return params;
    }

    /** The CHAP name the initiator authenticated with, or null. */
    String authenticatedUser() {
        return authenticatedUser;
    }

    Reply process(Request r) {
        int csg = r.csg();
        if (stage < 0) {
            // The first PDU names the stage; the PDUs continuing its text (C bit) stay in it.
            // RFC 7143 11.12.4: version 0x00 is the only one; Version-min above it is unsupported.
            if (r.versionMin() > 0) {
                return fail(csg, LoginStatus.UNSUPPORTED_VERSION, "Version-min " + r.versionMin());
            }
            if (csg == STAGE_SECURITY || csg == STAGE_OPERATIONAL) {
                stage = csg;
            } else {
                return fail(0, LoginStatus.INITIATOR_ERROR, "login starts in stage " + csg);
            }
        } else if (csg != stage) {
            return fail(stage, LoginStatus.INITIATOR_ERROR, "request in stage " + csg + " while in stage " + stage);
        }

        // Text split over PDUs with the C bit (RFC 7143 6.1): answer empty until it is complete.
        if (pending.size() + r.text().length > MAX_TEXT) {
            return fail(stage, LoginStatus.INITIATOR_ERROR, "login text longer than " + MAX_TEXT + " bytes");
        }
        pending.write(r.text(), 0, r.text().length);
        if (r.cont()) {
            if (r.transit()) {
                // RFC 7143 11.12.2: T and C must not both be set.
                return fail(stage, LoginStatus.INITIATOR_ERROR, "T and C both set");
            }
            return new Reply(false, stage, 0, LoginStatus.SUCCESS, new byte[0], false, null);
        }
        byte[] all = pending.toByteArray();
        pending.reset();
        List<TextParameters.Pair> keys;
        try {
            keys = TextParameters.parse(all, all.length);
        } catch (TextParameters.FormatException e) {
            return fail(stage, LoginStatus.INITIATOR_ERROR, e.getMessage());
        }

        Reply repeated = repeatedKey(keys);
        if (repeated != null) {
            return repeated;
        }

        TextParameters answer = new TextParameters();
        if (first) {
            first = false;
            Reply failure = leading(keys, csg);
            if (failure != null) {
                return failure;
            }
            if (!params.discovery) {
                // RFC 7143 13.9: returned in the first Login Response of a Normal session.
                answer.add("TargetPortalGroupTag", Integer.toString(portalGroupTag));
            }
        }

        Reply failure = stage == STAGE_SECURITY ? security(keys, answer) : operational(keys, answer);
        if (failure != null) {
            return failure;
        }

        boolean transit = false;
        int nsg = 0;
        if (r.transit()) {
            nsg = r.nsg();
            boolean validNext = stage == STAGE_SECURITY ? nsg == STAGE_OPERATIONAL || nsg == STAGE_FULL_FEATURE
                    : nsg == STAGE_FULL_FEATURE;
            if (!validNext) {
                return fail(stage, LoginStatus.INITIATOR_ERROR, "transit from stage " + stage + " to " + nsg);
            }
            // Leaving the security stage needs a finished authentication (RFC 7143 6.3); until
            // then the answer keeps T = 0 and the exchange goes on.
            transit = stage != STAGE_SECURITY || auth == Auth.DONE;
        }
        if (transit && nsg == STAGE_FULL_FEATURE) {
            if (!negotiation.declaredOwnMaxRecv() && !params.discovery) {
                negotiation.declareOwnMaxRecv(answer);
            }
        }
        if (!sentAlias && !params.discovery && stage == STAGE_OPERATIONAL && !settings.targetAlias().isEmpty()) {
            answer.add("TargetAlias", settings.targetAlias());
            sentAlias = true;
        }
        byte[] text = answer.toBytes();
        if (text.length > TargetSettings.LOGIN_DATA_SEGMENT_LENGTH) {
            return fail(stage, LoginStatus.TARGET_ERROR, "login answer of " + text.length + " bytes");
        }
        int replyCsg = stage;
        if (transit) {
            stage = nsg;
        }
        return new Reply(transit, replyCsg, transit ? nsg : 0, LoginStatus.SUCCESS, text, transit && nsg == STAGE_FULL_FEATURE,
                null);
    }

    /**
     * RFC 7143 6.3: "Neither the initiator nor the target should attempt to declare or negotiate a
     * parameter more than once during login", and the target answers an attempt with Initiator
     * Error. Within one request no key may repeat; across the requests of a login only the leading
     * declaratives may, with their first value.
     */
    private Reply repeatedKey(List<TextParameters.Pair> keys) {
        java.util.Set<String> here = new java.util.HashSet<>();
        for (TextParameters.Pair p : keys) {
            if (!here.add(p.key())) {
                return fail(stage, LoginStatus.INITIATOR_ERROR, p.key() + " given twice in one request");
            }
            String before = received.get(p.key());
            if (before != null && !(LEADING_KEYS.contains(p.key()) && before.equals(p.value()))) {
                return fail(stage, LoginStatus.INITIATOR_ERROR, p.key() + " given again in this login");
            }
        }
        for (TextParameters.Pair p : keys) {
            received.putIfAbsent(p.key(), p.value());
        }
        return null;
    }

    /** The first request: who is logging in, to what, and is it allowed (RFC 7143 6.3, 13.4-13.6). */
    private Reply leading(List<TextParameters.Pair> keys, int csg) {
        String sessionType = value(keys, "SessionType");
        params.initiatorName = value(keys, "InitiatorName");
        params.initiatorAlias = value(keys, "InitiatorAlias");
        if (params.initiatorName == null || params.initiatorName.isEmpty()) {
            return fail(csg, LoginStatus.MISSING_PARAMETER, "no InitiatorName");
        }
        if (sessionType == null || sessionType.equals("Normal")) {
            params.discovery = false;
        } else if (sessionType.equals("Discovery")) {
            params.discovery = true;
        } else {
            return fail(csg, LoginStatus.SESSION_TYPE_NOT_SUPPORTED, "SessionType=" + sessionType);
        }
        // One look at the account source for the whole login: a change while it runs is seen by
        // the next login. None bound: nobody can tell which targets need CHAP, so refuse (even
        // discovery, which would list them) before revealing whether the target exists.
        ChapAccounts accounts = directory.accounts();
        if (accounts == null) {
            return fail(csg, LoginStatus.SERVICE_UNAVAILABLE, "no CHAP account source is bound (the config component "
                    + "is not active); logins are refused until it is");
        }
        if (!params.discovery) {
            String targetName = value(keys, "TargetName");
            if (targetName == null || targetName.isEmpty()) {
                return fail(csg, LoginStatus.MISSING_PARAMETER, "Normal session without TargetName");
            }
            TargetInfo target = directory.find(targetName);
            if (target == null) {
                return fail(csg, LoginStatus.NOT_FOUND, "no target " + targetName);
            }
            if (!admits(target, params.initiatorName)) {
                return fail(csg, LoginStatus.AUTHORIZATION_FAILURE, params.initiatorName + " is not in the ACL of " + targetName);
            }
            params.targetName = target.name();
            ChapAccounts.TargetChap bound;
            try {
                bound = accounts.forTarget(target.name());
            } catch (RuntimeException e) {
                // An account source going away under the call: refuse rather than guess.
                return fail(csg, LoginStatus.SERVICE_UNAVAILABLE, "the CHAP account source failed: " + e);
            }
            if (bound != null) {
                chap = bound;   // the target's own accounts replace the configured one
            }
        }
        if (csg == STAGE_OPERATIONAL) {
            if (chapRequired()) {
                // The initiator skipped the security stage, but this target requires CHAP.
                return fail(csg, LoginStatus.AUTHENTICATION_FAILURE, "CHAP required, initiator skipped SecurityNegotiation");
            }
            auth = Auth.DONE;
        }
        return null;
    }

    static boolean admits(TargetInfo target, String initiatorName) {
        List<String> acl = target.acl();
        if (acl.isEmpty()) {
            return true;
        }
        for (String a : acl) {
            if (a.equalsIgnoreCase(initiatorName)) {
                return true;
            }
        }
        return false;
    }

    private Reply security(List<TextParameters.Pair> keys, TextParameters answer) {
        for (TextParameters.Pair p : keys) {
            String key = p.key();
            String value = p.value();
            switch (key) {
                case "InitiatorName":
                case "InitiatorAlias":
                case "TargetName":
                case "SessionType":
                    break; // declaratives of the leading request
                case "AuthMethod": {
                    if (auth != Auth.START) {
                        return fail(stage, LoginStatus.INITIATOR_ERROR, "AuthMethod offered twice");
                    }
                    String chosen = chooseAuthMethod(value);
                    if (chosen == null) {
                        answer.add(key, Negotiation.REJECT);
                        return fail(stage, LoginStatus.AUTHENTICATION_FAILURE, "no acceptable AuthMethod in " + value);
                    }
                    answer.add(key, chosen);
                    auth = chosen.equals("CHAP") ? Auth.WAIT_CHAP_A : Auth.DONE;
                    break;
                }
                case "CHAP_A": {
                    if (auth != Auth.WAIT_CHAP_A) {
                        return fail(stage, LoginStatus.INITIATOR_ERROR, "CHAP_A out of sequence");
                    }
                    boolean md5 = false;
                    for (String a : value.split(",")) {
                        md5 |= a.trim().equals(Chap.MD5);
                    }
                    if (!md5) {
                        answer.add(key, Negotiation.REJECT);
                        return fail(stage, LoginStatus.AUTHENTICATION_FAILURE, "CHAP_A=" + value + " without MD5");
                    }
                    chapIdentifier = Chap.newIdentifier();
                    chapChallenge = Chap.newChallenge();
                    answer.add("CHAP_A", Chap.MD5);
                    answer.add("CHAP_I", Integer.toString(chapIdentifier));
                    answer.add("CHAP_C", Chap.hex(chapChallenge));
                    auth = Auth.WAIT_CHAP_RESPONSE;
                    break;
                }
                case "CHAP_N":
                case "CHAP_R":
                case "CHAP_I":
                case "CHAP_C":
                    if (auth != Auth.WAIT_CHAP_RESPONSE) {
                        return fail(stage, LoginStatus.INITIATOR_ERROR, key + " out of sequence");
                    }
                    break; // checked together below
                default:
                    if (!negotiation.negotiate(key, value, answer)) {
                        answer.add(key, Negotiation.NOT_UNDERSTOOD);
                    }
            }
        }
        if (auth == Auth.WAIT_CHAP_RESPONSE && value(keys, "CHAP_R") != null) {
            return verifyChap(keys, answer);
        }
        if (auth == Auth.START) {
            // No AuthMethod offered: the default is None (RFC 7143 13.16 of AuthMethod is "None"),
            // acceptable only when no authentication is required.
            if (chapRequired()) {
                return fail(stage, LoginStatus.AUTHENTICATION_FAILURE, "CHAP required, no AuthMethod offered");
            }
            auth = Auth.DONE;
        }
        return null;
    }

    private String chooseAuthMethod(String offered) {
        for (String m : offered.split(",")) {
            String t = m.trim();
            if (chapRequired() ? t.equals("CHAP") : t.equals("None")) {
                return t;
            }
        }
        return null;
    }

    private Reply verifyChap(List<TextParameters.Pair> keys, TextParameters answer) {
        String name = value(keys, "CHAP_N");
        byte[] response = Chap.decodeBinary(value(keys, "CHAP_R"));
        if (name == null || response == null) {
            return fail(stage, LoginStatus.AUTHENTICATION_FAILURE, "CHAP_N or CHAP_R missing or malformed");
        }
        String secret = chap.incoming().get(name);
        // An unknown name is checked against a secret nobody has, so it costs the same time.
        byte[] expected = Chap.response(chapIdentifier, secret != null ? secret : UNKNOWN_USER_SECRET, chapChallenge);
        // Constant-time comparison; the name is compared after, so timing reveals nothing either.
        boolean ok = MessageDigest.isEqual(expected, response) & secret != null;
        if (!ok) {
            return fail(stage, LoginStatus.AUTHENTICATION_FAILURE, "CHAP response of '" + name + "' does not verify");
        }
        String mutualI = value(keys, "CHAP_I");
        String mutualC = value(keys, "CHAP_C");
        if (mutualI != null || mutualC != null) {
            int identifier = Chap.decodeIdentifier(mutualI);
            byte[] challenge = Chap.decodeBinary(mutualC);
            if (identifier < 0 || challenge == null || challenge.length == 0) {
                return fail(stage, LoginStatus.AUTHENTICATION_FAILURE, "malformed mutual CHAP_I/CHAP_C");
            }
            if (chap.outgoingUser() == null) {
                return fail(stage, LoginStatus.AUTHENTICATION_FAILURE, "mutual CHAP asked for, none configured");
            }
            // RFC 7143 12.1.3: a target must not answer its own challenge reflected back.
            if (Arrays.equals(challenge, chapChallenge)) {
                return fail(stage, LoginStatus.AUTHENTICATION_FAILURE, "mutual CHAP challenge reflects the target's");
            }
            answer.add("CHAP_N", chap.outgoingUser());
            answer.add("CHAP_R", Chap.hex(Chap.response(identifier, chap.outgoingSecret(), challenge)));
        }
        authenticatedUser = name;
        auth = Auth.DONE;
        return null;
    }

    private Reply operational(List<TextParameters.Pair> keys, TextParameters answer) {
        for (TextParameters.Pair p : keys) {
            String key = p.key();
            switch (key) {
                case "InitiatorName":
                case "InitiatorAlias":
                case "TargetName":
                case "SessionType":
                    break; // declaratives; only the leading request's count
                case "AuthMethod":
                case "CHAP_A":
                case "CHAP_I":
                case "CHAP_C":
                case "CHAP_N":
                case "CHAP_R":
                    // Security keys belong to the security stage (RFC 7143 6.3).
                    return fail(stage, LoginStatus.INITIATOR_ERROR, key + " in the operational stage");
                default:
                    if (!negotiation.negotiate(key, p.value(), answer)) {
                        answer.add(key, Negotiation.NOT_UNDERSTOOD);
                    }
            }
        }
        return null;
    }

    private static String value(List<TextParameters.Pair> keys, String key) {
        for (TextParameters.Pair p : keys) {
            if (p.key().equals(key)) {
                return p.value();
            }
        }
        return null;
    }

    private static Reply fail(int csg, int status, String reason) {
        // The request's CSG may be reserved (2, RFC 7143 11.12.3) or no login stage at all (3):
        // the response names one the login can be in.
        int stage = csg == STAGE_OPERATIONAL ? STAGE_OPERATIONAL : STAGE_SECURITY;
        return new Reply(false, stage, 0, status, new byte[0], false, reason);
    }
}

/**
 * FC and FCIP on the wire, framing separate from meaning: {@link org.jtgt.fc.wire.FcipFraming}
 * reads and encodes whole, checked frames ({@link org.jtgt.fc.wire.FcipHeader},
 * {@link org.jtgt.fc.wire.FcFrameHeader}, {@link org.jtgt.fc.wire.FcCrc}); payload layouts are in
 * {@link org.jtgt.fc.wire.Els} (link services), {@link org.jtgt.fc.wire.Fcp} (FCP IUs, BLS) and
 * {@link org.jtgt.fc.wire.CtIu} (name server). No state beyond one framing's receive buffer.
 *
 * <p>Not API: the package lives in the plain jar {@code jtgt-fc-wire}, and each bundle that speaks
 * FC (the target, {@code jtgt-lld-fc}; the emulated initiator, {@code jtgt-fc-initiator}) embeds a
 * private copy with bnd's {@code -conditionalpackage}. Nothing here is exported.
 */
package org.jtgt.fc.wire;

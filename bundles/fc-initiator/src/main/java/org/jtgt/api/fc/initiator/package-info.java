/**
 * An emulated Fibre Channel initiator for the FC emulation (FC-2 frames over FCIP, RFC 3821):
 * {@link org.jtgt.api.fc.initiator.FcInitiator} logs in to the fabric, discovers target ports
 * through the name server, logs in to them (PLOGI, PRLI) and runs FCP commands, ABTS and task
 * management. For tests, benchmarks and the command line ({@code org.jtgt.fc.initiator.FcInitiatorCli});
 * exported by the tools bundle {@code jtgt-fc-initiator}, which holds no target and needs only
 * {@code jtgt-api}, so a test bundle can drive the FC target it runs next to.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.jtgt.api.fc.initiator;

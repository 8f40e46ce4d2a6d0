/**
 * The transport SPI: how events and data references cross between the host side and the target
 * daemon. Implementations are bundles of their own ({@code transport-shm}, ...).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("2.4.0")
package org.jtgt.api.transport;

/**
 * The in-process transport: {@link org.jtgt.transport.direct.DirectTransport} hands each event to
 * the peer's sink on the sending thread, through one shared data area. Private: nothing here is
 * exported; the bundle provides a {@link org.jtgt.api.transport.Transport} service named
 * {@code direct}.
 */
package org.jtgt.transport.direct;

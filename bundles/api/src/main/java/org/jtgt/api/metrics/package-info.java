/**
 * What the target daemon counts for operators: per logical unit and per I_T nexus command
 * counters, CHECK CONDITIONs by sense key, task management functions, tasks in flight, and a
 * latency histogram per logical unit recorded without allocating.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.jtgt.api.metrics;

package org.jtgt.transport.shm;

/** An I_T nexus as the events name it: the host's number and the nexus id the host gave it. */
record NexusKey(int hostNo, long id) {
}

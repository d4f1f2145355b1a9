// Package connectscan drives ultrascan with the operating system's TCP
// connect(): the transport of probe types that need no privileges (-sT).
//
// Every probe is a non-blocking socket whose connect is watched with epoll;
// sockets are closed with SO_LINGER 0, so a -p- scan leaves no TIME_WAIT
// pile-up and an open port's service sees a reset rather than a dangling
// connection. The number of sockets in flight is bounded by the open-file
// limit, whose soft value is raised to the hard one at start.
//
// The core never decides what an outcome means: connect results are named
// with the sdk.Connect* outcomes and the probe type's rules turn them into
// port states; a connect that times out gets the probe type's silence
// verdict at output time (it is never stored). Connect scans have no reply
// TTL, so ReasonTTL is always 0.
//
// Linux only for now (epoll).
package connectscan

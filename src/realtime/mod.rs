//! Realtime updates over WebSocket.

/**
 * Airbyte protocol message types and builders (protocol v0, see
 * shared/specs/airbyte_protocol.yaml). Only what a source emits is modelled.
 */

export type FailureType = 'system_error' | 'config_error' | 'transient_error';
type StreamStatus = 'STARTED' | 'RUNNING' | 'COMPLETE' | 'INCOMPLETE';
export type LogLevel = 'FATAL' | 'ERROR' | 'WARN' | 'INFO' | 'DEBUG' | 'TRACE';
export type SyncMode = 'full_refresh' | 'incremental';

interface StreamDescriptor {
  name: string;
  namespace?: string;
}

export interface AirbyteStream {
  name: string;
  json_schema: Record<string, unknown>;
  supported_sync_modes: SyncMode[];
  source_defined_cursor?: boolean;
  default_cursor_field?: string[];
  source_defined_primary_key?: string[][];
  is_resumable?: boolean;
}

export interface ConnectorSpecification {
  documentationUrl?: string;
  changelogUrl?: string;
  connectionSpecification: Record<string, unknown>;
  supportsIncremental?: boolean;
  supported_destination_sync_modes?: string[];
}

interface RateLimitedReason {
  type: 'RATE_LIMITED';
  rate_limited: { quota_reset?: number };
}

export type AirbyteMessage =
  | { type: 'RECORD'; record: { stream: string; data: Record<string, unknown>; emitted_at: number } }
  | {
      type: 'STATE';
      state: {
        type: 'STREAM';
        stream: { stream_descriptor: StreamDescriptor; stream_state: Record<string, unknown> };
        sourceStats: { recordCount: number };
      };
    }
  | { type: 'LOG'; log: { level: LogLevel; message: string; stack_trace?: string } }
  | { type: 'SPEC'; spec: ConnectorSpecification }
  | { type: 'CONNECTION_STATUS'; connectionStatus: { status: 'SUCCEEDED' | 'FAILED'; message?: string } }
  | { type: 'CATALOG'; catalog: { streams: AirbyteStream[] } }
  | { type: 'TRACE'; trace: AirbyteTrace };

type AirbyteTrace =
  | {
      type: 'ERROR';
      emitted_at: number;
      error: {
        message: string;
        internal_message?: string;
        stack_trace?: string;
        failure_type: FailureType;
        stream_descriptor?: StreamDescriptor;
      };
    }
  | {
      type: 'ESTIMATE';
      emitted_at: number;
      estimate: { name: string; type: 'STREAM'; row_estimate: number };
    }
  | {
      type: 'ANALYTICS';
      emitted_at: number;
      analytics: { type: string; value?: string };
    }
  | {
      type: 'STREAM_STATUS';
      emitted_at: number;
      stream_status: { stream_descriptor: StreamDescriptor; status: StreamStatus; reasons?: RateLimitedReason[] };
    };

export const record = (stream: string, data: Record<string, unknown>, emittedAt: number): AirbyteMessage => ({
  type: 'RECORD',
  record: { stream, data, emitted_at: emittedAt },
});

export const streamState = (stream: string, state: Record<string, unknown>, recordCount: number): AirbyteMessage => ({
  type: 'STATE',
  state: {
    type: 'STREAM',
    stream: { stream_descriptor: { name: stream }, stream_state: state },
    sourceStats: { recordCount },
  },
});

export const log = (level: LogLevel, message: string): AirbyteMessage => ({ type: 'LOG', log: { level, message } });

export const streamStatus = (stream: string, status: StreamStatus, emittedAt: number, reasons?: RateLimitedReason[]): AirbyteMessage => ({
  type: 'TRACE',
  trace: {
    type: 'STREAM_STATUS',
    emitted_at: emittedAt,
    stream_status: { stream_descriptor: { name: stream }, status, ...(reasons ? { reasons } : {}) },
  },
});

/** A per-stream TRACE ESTIMATE: the rows this read is expected to emit for `stream` (a later one replaces it). */
export const rowEstimate = (stream: string, rows: number, emittedAt: number): AirbyteMessage => ({
  type: 'TRACE',
  trace: { type: 'ESTIMATE', emitted_at: emittedAt, estimate: { name: stream, type: 'STREAM', row_estimate: rows } },
});

/**
 * A TRACE ANALYTICS: an event about how the connector ran that is neither an error nor a status
 * (protocol: "each message is an event with a type and an optional payload value (both of them
 * being strings). The event types should not be dynamically generated but defined statically").
 */
export const analyticsTrace = (type: string, value: string | undefined, emittedAt: number): AirbyteMessage => ({
  type: 'TRACE',
  trace: { type: 'ANALYTICS', emitted_at: emittedAt, analytics: { type, ...(value === undefined ? {} : { value }) } },
});

export const errorTrace = (
  error: { message: string; internalMessage?: string | undefined; failureType: FailureType; stream?: string | undefined },
  emittedAt: number,
): AirbyteMessage => ({
  type: 'TRACE',
  trace: {
    type: 'ERROR',
    emitted_at: emittedAt,
    error: {
      message: error.message,
      ...(error.internalMessage ? { internal_message: error.internalMessage } : {}),
      failure_type: error.failureType,
      ...(error.stream ? { stream_descriptor: { name: error.stream } } : {}),
    },
  },
});

export const connectionStatus = (ok: boolean, message?: string): AirbyteMessage => ({
  type: 'CONNECTION_STATUS',
  connectionStatus: { status: ok ? 'SUCCEEDED' : 'FAILED', ...(message ? { message } : {}) },
});

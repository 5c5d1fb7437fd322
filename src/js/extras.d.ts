
// ---- Declarations for the parts defined in src/js/support.js (appended to index.d.ts by build.py)

export declare const COZE_CN_BASE_URL: 'https://api.coze.cn';
export declare const COZE_COM_BASE_URL: 'https://api.coze.com';

export declare const ChatEventType: {
  readonly CONVERSATION_CHAT_CREATED: 'conversation.chat.created';
  readonly CONVERSATION_CHAT_IN_PROGRESS: 'conversation.chat.in_progress';
  readonly CONVERSATION_CHAT_COMPLETED: 'conversation.chat.completed';
  readonly CONVERSATION_CHAT_FAILED: 'conversation.chat.failed';
  readonly CONVERSATION_CHAT_REQUIRES_ACTION: 'conversation.chat.requires_action';
  readonly CONVERSATION_MESSAGE_DELTA: 'conversation.message.delta';
  readonly CONVERSATION_MESSAGE_COMPLETED: 'conversation.message.completed';
  readonly CONVERSATION_AUDIO_DELTA: 'conversation.audio.delta';
  readonly DONE: 'done';
  readonly ERROR: 'error';
};
export type ChatEventType = (typeof ChatEventType)[keyof typeof ChatEventType];

export declare const ChatStatus: {
  readonly CREATED: 'created';
  readonly IN_PROGRESS: 'in_progress';
  readonly COMPLETED: 'completed';
  readonly FAILED: 'failed';
  readonly REQUIRES_ACTION: 'requires_action';
  readonly CANCELED: 'canceled';
  readonly UNKNOWN: 'unknown';
};
export type ChatStatus = (typeof ChatStatus)[keyof typeof ChatStatus];

export declare const RoleType: { readonly User: 'user'; readonly Assistant: 'assistant' };
export type RoleType = (typeof RoleType)[keyof typeof RoleType];

export type CozeErrorCode =
  | 'INVALID_ARGUMENT' | 'UNSUPPORTED_CHALLENGE_METHOD' | 'CRYPTO_UNAVAILABLE'
  | 'OAUTH_STATE_MISMATCH' | 'OAUTH_STATE_MISSING' | 'OAUTH_DUPLICATE_PARAM' | 'OAUTH_CODE_MISSING'
  | 'OAUTH_CALLBACK_ERROR' | 'OAUTH_TOKEN_ERROR' | 'NOT_LOGGED_IN' | 'COZE_API_ERROR'
  | 'INVALID_RESPONSE' | 'NETWORK' | 'ABORTED' | 'TIMEOUT' | 'STREAM_TRUNCATED'
  | 'STREAM_ERROR_EVENT' | 'MALFORMED_EVENT' | 'EVENT_TOO_LARGE' | 'CHAT_FAILED'
  | 'PAT_IN_BROWSER' | 'STORAGE';

/** The class of every error coze-wasm throws. */
export declare class CozeError extends Error {
  readonly name: 'CozeError';
  readonly code: CozeErrorCode;
  /** HTTP status, when a response arrived. */
  readonly status?: number;
  /** Coze's numeric code (envelope `code` or `last_error.code`), e.g. 4101. */
  readonly cozeCode?: number;
  readonly msg?: string;
  /** `detail.logid` or the `x-tt-logid` header. */
  readonly logid?: string;
  /** OAuth `error` / `error_code`. */
  readonly error?: string;
  readonly error_description?: string;
  /** The body or event data that could not be parsed. */
  readonly raw?: string;
}

/** @coze/api's OAuthToken; `expires_in` is an absolute unix timestamp in seconds. */
export interface OAuthToken {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  token_type?: string;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

/** One part of `client.chat.stream(...)`. */
export interface StreamChatPart {
  event: ChatEventType | (string & {});
  /** The parsed Chat / Message object; `'[DONE]'` for `done`. */
  data: unknown;
}

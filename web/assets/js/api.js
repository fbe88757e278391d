// The shop's REST API (see CONTRACT.md): JSON in, JSON out, the session in
// the Authorization cookie, errors as {"errorMessage"}.

const FALLBACK_MESSAGE = '요청을 처리하지 못했습니다. 잠시 후 다시 시도해 주세요.';
const NETWORK_MESSAGE = '서버에 연결할 수 없습니다. 인터넷 연결을 확인해 주세요.';

// ApiError is a failed request: status is the HTTP status (0 when the server
// could not be reached) and message is the server's errorMessage.
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

// api sends one request and resolves with the response's JSON body, or
// rejects with an ApiError carrying the server's message.
export async function api(path, { method = 'GET', body } = {}) {
  const init = {
    method,
    credentials: 'same-origin',
    headers: { Accept: 'application/json' },
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, NETWORK_MESSAGE);
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    // A body that is not JSON (a proxy's error page) keeps data null.
  }
  if (!res.ok) {
    const message = data && typeof data.errorMessage === 'string' && data.errorMessage
      ? data.errorMessage
      : FALLBACK_MESSAGE;
    throw new ApiError(res.status, message);
  }
  return data ?? {};
}

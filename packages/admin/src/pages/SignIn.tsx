import { type FormEvent, useState } from "react";
import { describeError } from "../lib/errors.ts";
import { trpc } from "../trpc.ts";

/** Email and password -> a session cookie (httpOnly: this code never sees it). */
export function SignIn({ notice }: { notice?: string }) {
  const utils = trpc.useUtils();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const signIn = trpc.auth.signIn.useMutation({
    onSuccess: (me) => utils.auth.me.setData(undefined, me),
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    signIn.mutate({ email, password });
  };

  return (
    <main className="sign-in-page">
      <section className="sign-in card" aria-labelledby="sign-in-heading">
        <h1 className="brand">Coursebase</h1>
        <h2 id="sign-in-heading">Sign in</h2>
        {notice ? <p className="notice">{notice}</p> : null}
        <form onSubmit={submit}>
          <label>
            Email
            <input
              type="email"
              name="email"
              autoComplete="username"
              required
              value={email}
              onChange={(event) => setEmail(event.target.value)}
            />
          </label>
          <label>
            Password
            <input
              type="password"
              name="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(event) => setPassword(event.target.value)}
            />
          </label>
          <button type="submit" className="primary" disabled={signIn.isPending}>
            {signIn.isPending ? "Signing in…" : "Sign in"}
          </button>
          {signIn.error ? (
            <p role="alert" className="error">
              {describeError(signIn.error)}
            </p>
          ) : null}
        </form>
      </section>
    </main>
  );
}

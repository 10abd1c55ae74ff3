// Sign-in with next-auth (v5). People sign in with email and password (the credentials provider:
// no external identity provider is reachable offline); OIDC providers can be added here. Sessions
// are JWTs carrying only the user id; roles are loaded from the database on every request.
import NextAuth, { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";
import { authenticatePassword } from "@/server/contexts/identity/authenticate-password";
import { webRuntime } from "@/server/runtime";

const credentialsSchema = z.object({ email: z.email(), password: z.string().min(1).max(200) });

export const { handlers, auth, signIn, signOut } = NextAuth(() => {
  const { env } = webRuntime();
  return {
    secret: env.AUTH_SECRET,
    trustHost: true,
    session: { strategy: "jwt", maxAge: 12 * 3600 },
    pages: { signIn: "/sign-in" },
    providers: [
      Credentials({
        credentials: { email: { label: "Email" }, password: { label: "Password", type: "password" } },
        async authorize(raw) {
          const parsed = credentialsSchema.safeParse(raw);
          if (!parsed.success) throw new CredentialsSignin();
          const userId = await authenticatePassword({ db: webRuntime().db, ...parsed.data });
          if (!userId) throw new CredentialsSignin();
          return { id: userId, email: parsed.data.email };
        },
      }),
    ],
    callbacks: {
      jwt({ token, user }) {
        if (user?.id) token.uid = user.id;
        return token;
      },
      session({ session, token }) {
        if (typeof token.uid === "string") session.user.id = token.uid;
        return session;
      },
    },
  };
});

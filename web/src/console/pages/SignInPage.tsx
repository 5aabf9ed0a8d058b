import { SignInForm } from '../../shared/sign-in.tsx';

/** Operators sign in with their PayMesh account; the console then checks that it is an operator's. */
export function SignInPage() {
  return (
    <SignInForm title="Operator sign-in" app="PayMesh console">
      <p className="hint">
        The console is for PayMesh operators. The first one is printed by <code>npm start</code>; <code>paymesh operator create</code> adds more.
      </p>
    </SignInForm>
  );
}

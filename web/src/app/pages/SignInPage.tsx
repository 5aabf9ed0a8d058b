import { Link } from '../../shared/router.tsx';
import { SignInForm } from '../../shared/sign-in.tsx';

export function SignInPage() {
  return (
    <SignInForm title="Sign in" app="PayMesh">
      <p>
        New to PayMesh? <Link to="/signup">Create an account</Link>
      </p>
    </SignInForm>
  );
}

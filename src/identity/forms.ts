import { z } from 'zod';
import { fieldError, textField } from '../web/form';
import { emailProblem, normaliseEmail } from './identity.service';
import { passwordProblem } from './passwords';

/** An email field: compared and stored trimmed and in lower case. */
export const emailField = () => textField().transform(normaliseEmail);

export const SignUpForm = z.object({ email: emailField(), password: textField(), next: textField() }).superRefine(({ email, password }, ctx) => {
  fieldError(ctx, 'email', emailProblem(email));
  fieldError(ctx, 'password', passwordProblem(password, email));
});

/** Only that both are there and the address looks like one: the password is checked by signing in. */
export const SignInForm = z.object({ email: emailField(), password: textField() }).superRefine(({ email, password }, ctx) => {
  fieldError(ctx, 'email', emailProblem(email));
  if (!password) fieldError(ctx, 'password', 'identity.errors.enterPassword');
});

export const PasswordResetForm = z.object({ email: emailField() }).superRefine(({ email }, ctx) => fieldError(ctx, 'email', emailProblem(email)));

/** A new password, for the account whose reset link it is (it may not contain that account's email). */
export const newPasswordForm = (accountEmail: string) =>
  z.object({ token: z.unknown().optional(), password: textField() }).superRefine(({ password }, ctx) => fieldError(ctx, 'password', passwordProblem(password, accountEmail)));

import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { CONFIG, type Config } from '../config/config';
import type { WebRequest } from '../web/request';
import { LOGGER } from '../web/tokens';
import { redirect, view } from '../web/view';
import { DEMO_NAME, DemoOrganizationService } from './demo-organization.service';

const COOKIE = 'referee_demo_flow';

/** The demo organization's pages: a "Verify with Referee" button, and what it received. */
@Controller('demo')
export class DemoOrganizationController {
  constructor(
    private readonly demo: DemoOrganizationService,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Get()
  home() {
    return view('demo-organization/home', { name: DEMO_NAME });
  }

  /** Starts "Verify with Referee" (also the initiate_login_uri Referee sends people back to). */
  @Get('login')
  async login(@Res({ passthrough: true }) res: Response) {
    const { url, flow } = await this.demo.start();
    res.append('Set-Cookie', stringifySetCookie(COOKIE, flow, { httpOnly: true, sameSite: 'lax', secure: this.config.secureCookies, path: '/demo', maxAge: 30 * 60 }));
    return redirect(url);
  }

  @Get('callback')
  async callback(@Req() req: WebRequest, @Res({ passthrough: true }) res: Response, @Query() query: Record<string, unknown>) {
    const flow = this.demo.readFlow(req.headers.cookie ? parseCookie(req.headers.cookie)[COOKIE] : undefined);
    res.append('Set-Cookie', stringifySetCookie(COOKIE, '', { httpOnly: true, sameSite: 'lax', secure: this.config.secureCookies, path: '/demo', maxAge: 0 }));
    if (!flow) return view('demo-organization/home', { name: DEMO_NAME, problem: 'demo.problems.notStartedHere' }, 400);
    if (typeof query.error === 'string') {
      return view('demo-organization/home', { name: DEMO_NAME, refused: { error: query.error, description: typeof query.error_description === 'string' ? query.error_description : undefined } });
    }
    if (typeof query.code !== 'string' || typeof query.state !== 'string') {
      return view('demo-organization/home', { name: DEMO_NAME, problem: 'demo.problems.incomplete' }, 400);
    }
    try {
      const result = await this.demo.finish(new URL(req.originalUrl, this.config.baseUrl), flow);
      const verified = result.userinfo.verified_claims as { verification?: Record<string, unknown>; claims?: Record<string, unknown> } | undefined;
      return view('demo-organization/result', {
        name: DEMO_NAME,
        subject: result.idToken.sub,
        acr: result.idToken.acr,
        email: result.userinfo.email,
        verification: verified?.verification,
        claims: verified?.claims,
        raw: JSON.stringify(result.userinfo, null, 2),
      });
    } catch (error) {
      this.logger.warn({ err: error }, 'demo organization: the sign-in could not be completed');
      return view('demo-organization/home', { name: DEMO_NAME, problem: 'demo.problems.failed', detail: (error as Error).message }, 502);
    }
  }
}
